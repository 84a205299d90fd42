"""Test isolation for mmengine's process-wide state.

A Runner (or ``init_default_scope``) leaves named singletons behind for the rest
of the process: the default registry scope, visualizers, loggers, message hubs
(every ``ManagerMixin`` subclass keeps its own instance table). Later tests would
then build from the wrong registry or log into an earlier run's folder, so each
test gets the tables back as they were before it.
"""
import pytest
from mmengine.utils import ManagerMixin


def _manager_classes():
    seen, todo = [], [ManagerMixin]
    while todo:
        cls = todo.pop()
        seen.append(cls)
        todo.extend(cls.__subclasses__())
    return [c for c in seen if '_instance_dict' in vars(c)]


@pytest.fixture(autouse=True)
def isolated_mmengine_state():
    snapshot = {cls: dict(cls._instance_dict) for cls in _manager_classes()}
    yield
    for cls in _manager_classes():
        cls._instance_dict.clear()
        cls._instance_dict.update(snapshot.get(cls, {}))
