"""An epoch-based training loop that resumes in the middle of an epoch.

mmengine's ``EpochBasedTrainLoop`` restarts the interrupted epoch from its first batch while keeping the saved
iteration count, so a mid-epoch checkpoint (preemption, timed saves) would train some batches twice and the schedule
would run past its end. :class:`ResumableEpochBasedTrainLoop` skips the batches the epoch already trained: the
sampler's order for an epoch is fixed by the seed and the epoch (``DistSamplerSeedHook``), and the batch sampler
drops the first ones as indices, so no skipped image is read. tools/train.py uses it in place of
``EpochBasedTrainLoop``.
"""
from typing import Iterator, List

from mmengine.logging import print_log
from mmengine.registry import LOOPS
from mmengine.runner import EpochBasedTrainLoop

from ..errors import ConfigError


class SkipFirstBatches:
    """Wraps a batch sampler; its next iteration drops the first ``skip`` batches (then it passes through)."""

    def __init__(self, batch_sampler):
        self.batch_sampler = batch_sampler
        self.skip = 0

    def __iter__(self) -> Iterator[List[int]]:
        skip, self.skip = self.skip, 0
        for i, batch in enumerate(self.batch_sampler):
            if i >= skip:
                yield batch

    def __len__(self) -> int:
        return len(self.batch_sampler)

    def __getattr__(self, name):  # sampler, batch_size, ... of the wrapped one
        if name == 'batch_sampler':  # not set yet (unpickling): no recursion
            raise AttributeError(name)
        return getattr(self.batch_sampler, name)


def skip_first_batches(dataloader, skip: int) -> bool:
    """Make ``dataloader``'s next epoch start at batch ``skip``; False when it has no batch sampler to wrap."""
    batch_sampler = getattr(dataloader, 'batch_sampler', None)
    if batch_sampler is None:
        return False
    if not isinstance(batch_sampler, SkipFirstBatches):
        # DataLoader refuses to set batch_sampler after construction; its iterator reads it when first created,
        # which has not happened yet in this process (a resume starts here)
        batch_sampler = SkipFirstBatches(batch_sampler)
        object.__setattr__(dataloader, 'batch_sampler', batch_sampler)
    batch_sampler.skip = skip
    return True


@LOOPS.register_module()
class ResumableEpochBasedTrainLoop(EpochBasedTrainLoop):
    """``EpochBasedTrainLoop`` whose first epoch after a mid-epoch resume continues at the next batch."""

    def run_epoch(self) -> None:
        done = self._iter - self._epoch * len(self.dataloader)
        if done <= 0:
            return super().run_epoch()
        if done > len(self.dataloader):
            raise ConfigError(f'resume: iteration {self._iter} is past epoch {self._epoch + 1} of '
                               f'{len(self.dataloader)} batches; the data or batch size changed since the checkpoint')
        self.runner.call_hook('before_train_epoch')
        self.runner.model.train()
        if done < len(self.dataloader):  # == : saved after the last batch, before the epoch's checkpoint
            skipped = skip_first_batches(self.dataloader, done)
            print_log(f'resume: epoch {self._epoch + 1} continues at batch {done + 1} of {len(self.dataloader)} '
                      f'(iteration {self._iter + 1}); the {done} finished batches are skipped'
                      + (' as indices, no image read' if skipped else ' (read and dropped)'), logger='current')
            batches = iter(self.dataloader)
            if not skipped:
                for _ in range(done):
                    next(batches)
            for idx, data_batch in enumerate(batches, start=done):
                self.run_iter(idx, data_batch)
        self.runner.call_hook('after_train_epoch')
        self._epoch += 1
