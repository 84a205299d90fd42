"""Name the images of the batch in flight when training on own data fails.

An exception deep inside a model (a label index out of range, a degenerate mask) says nothing about the data
that caused it. ``BatchInFlightHook`` keeps the image paths of the current train / val / test batch;
:func:`own_data_failure` turns the exception into one :class:`OwnDataTrainingError` line naming the
annotation file, the phase, the iteration and those images (tools/train.py prints it with exit status 2 and
writes the traceback to the run's log).
"""
import os.path as osp
from typing import List, Optional, Sequence

from mmengine.hooks import Hook
from mmengine.registry import HOOKS

from ..errors import UserInputError

SHOWN = 4


class OwnDataTrainingError(UserInputError, RuntimeError):
    """Training or evaluation on own data raised an error that is not one of mmvitdet's input checks."""


def batch_image_paths(data_batch) -> List[str]:
    """The ``img_path`` of each sample of an mmdet data batch (``{'inputs', 'data_samples'}``), where known."""
    samples = data_batch.get('data_samples') if isinstance(data_batch, dict) else None
    return [str(s.metainfo['img_path']) for s in samples or [] if 'img_path' in getattr(s, 'metainfo', {})]


@HOOKS.register_module()
class BatchInFlightHook(Hook):
    """Remembers where the run is and which images it is working on: ``phase``, ``iteration``, ``images``."""

    priority = 'VERY_HIGH'

    def __init__(self) -> None:
        self.phase: Optional[str] = None
        self.iteration: Optional[int] = None
        self.images: List[str] = []

    def _track(self, phase: str, iteration: int, data_batch) -> None:
        self.phase, self.iteration, self.images = phase, iteration, batch_image_paths(data_batch)

    def before_train_iter(self, runner, batch_idx: int, data_batch=None) -> None:
        self._track('train', runner.iter + 1, data_batch)

    def before_val_iter(self, runner, batch_idx: int, data_batch=None) -> None:
        self._track('val', batch_idx + 1, data_batch)

    def before_test_iter(self, runner, batch_idx: int, data_batch=None) -> None:
        self._track('test', batch_idx + 1, data_batch)

    def _done(self, *args, **kwargs) -> None:
        self.images = []  # the next batch is being loaded

    after_train_iter = after_val_iter = after_test_iter = _done


def _shown(paths: Sequence[str]) -> str:
    return ', '.join(paths[:SHOWN]) + (', ...' if len(paths) > SHOWN else '')


def own_data_failure(exc: BaseException, runner, cfg) -> OwnDataTrainingError:
    """One-line error for ``exc``, raised by ``runner`` while training on the own data of ``cfg``."""
    hook = next((h for h in runner.hooks if isinstance(h, BatchInFlightHook)), None)
    ann_files = [osp.join(cfg[loader].dataset.data_root, cfg[loader].dataset.ann_file)
                 for loader in ('train_dataloader', 'val_dataloader')]
    detail = ' '.join(f'{type(exc).__name__}: {exc}'.split())[:500]
    if hook is None or hook.phase is None:
        where = 'before the first iteration (building the model, the data or a data-loading worker)'
    else:
        where = (f'at {hook.phase} iteration {hook.iteration} on the batch of images {_shown(hook.images)}'
                 if hook.images else f'loading the {hook.phase} batch after iteration {hook.iteration}')
    return OwnDataTrainingError(
        f'training on own data ({", ".join(ann_files)}) stopped {where}: {detail}. Check the images and '
        'annotations named here in those files (categories, boxes, masks); run again with --debug for the '
        'traceback on the terminal')
