"""Test isolation for mmengine's process-wide state.

A Runner (or ``init_default_scope``) leaves named singletons behind for the rest
of the process: the default registry scope, visualizers, loggers, message hubs
(every ``ManagerMixin`` subclass keeps its own instance table). Later tests would
then build from the wrong registry or log into an earlier run's folder, so after
every test the tables go back to what they were when the session started (also
undoing what module-scoped fixtures, e.g. a shared training run, left behind).
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


@pytest.fixture(scope='session')
def mmengine_baseline():
    return {cls: dict(cls._instance_dict) for cls in _manager_classes()}


@pytest.fixture(autouse=True)
def isolated_mmengine_state(mmengine_baseline):
    yield
    for cls in _manager_classes():
        cls._instance_dict.clear()
        cls._instance_dict.update(mmengine_baseline.get(cls, {}))
