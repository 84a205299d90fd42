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


REPO = __import__('pathlib').Path(__file__).resolve().parents[1]
OUTPUT_FOLDERS = ('data', 'work_dirs', 'outputs', 'checkpoints')  # where the tools write by default, relative to cwd


def _checkout_outputs():
    entries = set(p.name for p in REPO.iterdir())
    for folder in OUTPUT_FOLDERS:
        if (REPO / folder).is_dir():
            entries |= {f'{folder}/{p.name}' for p in (REPO / folder).iterdir()}
    return entries


@pytest.fixture(autouse=True)
def checkout_stays_clean():
    """Tests write into temporary folders only: a test that leaves a new entry in the checkout fails (the
    quickstart's 'with no data present, this generates ...' must still hold after the suite ran)."""
    before = _checkout_outputs()
    yield
    new = sorted(_checkout_outputs() - before - {'.pytest_cache', '__pycache__'})
    assert not new, f'the test wrote {new} into the checkout {REPO}: write into tmp_path instead'
