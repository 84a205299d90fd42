"""Preemption-safe training: SIGTERM / SIGUSR1 save the iteration in flight, then the run exits with status 75.

Slurm (and most schedulers) preempt a job with SIGTERM, after an optional early-warning signal (tools/slurm_train.sh
asks for SIGUSR1 ahead of the time limit). mmengine's default is to die at once, losing every iteration since the
last epoch checkpoint. :class:`PreemptionCheckpointHook` instead records the signal, lets the current iteration
finish, agrees across ranks (one all-reduce per iteration), saves ``iter_<N>.pth`` (verified like every checkpoint),
logs one line and raises :class:`TrainingPreempted`, which tools/train.py turns into exit status
:data:`EXIT_PREEMPTED` (75, EX_TEMPFAIL: "try again"). ``--resume`` continues with iteration N + 1
(:class:`~mmvitdet.engine.resumable_loop.ResumableEpochBasedTrainLoop` skips the epoch's finished batches).

``every_minutes`` also saves a checkpoint every so many minutes of training (keeping only the newest such file), for
epochs longer than the time a scheduler grants. Mid-epoch checkpoints are deleted once an epoch checkpoint after
them is written, so ``--resume`` always finds the newest state by its number.

tools/train.py adds the hook unless ``preemption=dict(enable=False)``; settings: ``preemption.signals`` (names),
``preemption.every_minutes`` (None: off).
"""
import atexit
import glob
import multiprocessing
import os
import os.path as osp
import re
import signal
import time
from typing import Optional, Sequence

import torch
import torch.distributed as dist
from mmengine.hooks import Hook
from mmengine.registry import HOOKS

from .atomic_local_backend import atomic_write_bytes
from .checkpoint_digest import SUFFIX

EXIT_PREEMPTED = 75
DEFAULTS = dict(enable=True, signals=('SIGTERM', 'SIGUSR1'), every_minutes=None)
ITER_CHECKPOINT = re.compile(r'^iter_(\d+)\.pth$')


class TrainingPreempted(Exception):
    """A preemption signal arrived; the iteration in flight was saved (``path``) and the run stopped."""

    def __init__(self, message: str, path: Optional[str]):
        super().__init__(message)
        self.path = path


class WorkerIgnoresSignals:
    """A DataLoader ``worker_init_fn``: the original one, then the preemption signals ignored. torch's workers
    install a C handler that dies on SIGTERM, and Slurm signals every process of the job step; the main process
    then ends the workers itself after saving (picklable, for any start method)."""

    def __init__(self, original, signals: Sequence[int]):
        self.original, self.signals = original, list(signals)

    def __call__(self, worker_id: int) -> None:
        if self.original is not None:
            self.original(worker_id)
        for sig in self.signals:
            signal.signal(sig, signal.SIG_IGN)


def _end_daemonic_children() -> None:
    """At exit, end the data workers with SIGKILL: multiprocessing's own exit handler (which runs after this one)
    would SIGTERM them, which they ignore, and then wait for them forever."""
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)  # torch's handler would raise for each worker ended here
    for child in multiprocessing.active_children():
        if child.daemon:
            child.kill()
            child.join(timeout=10)


@HOOKS.register_module()
class PreemptionCheckpointHook(Hook):
    """Args:
        signals: names of the signals that preempt (default SIGTERM, SIGUSR1).
        every_minutes: also save every so many minutes of training, keeping the newest (None: off).
    """

    priority = 'LOWEST'  # after the divergence guard, the logger and CheckpointHook of the same iteration / epoch

    def __init__(self, signals: Sequence[str] = DEFAULTS['signals'], every_minutes: Optional[float] = None):
        self.signals = [getattr(signal, name) for name in signals]
        self.every_seconds = None if every_minutes is None else float(every_minutes) * 60
        self.received: Optional[int] = None
        self._previous = {}
        self._last_timed: Optional[str] = None
        self._since = time.monotonic()

    # signal handling: record only (the handler runs between bytecodes of whatever the main thread does)
    def _record(self, signum, frame) -> None:
        if self.received is None:
            self.received = signum

    def before_train(self, runner) -> None:
        for sig in self.signals:
            self._previous[sig] = signal.signal(sig, self._record)
        for loop in (runner.train_loop, runner.val_loop):  # both built by now; their workers not yet started
            loader = getattr(loop, 'dataloader', None)
            if getattr(loader, 'num_workers', 0) and not isinstance(loader.worker_init_fn, WorkerIgnoresSignals):
                loader.worker_init_fn = WorkerIgnoresSignals(loader.worker_init_fn, self.signals)
                atexit.unregister(_end_daemonic_children)
                atexit.register(_end_daemonic_children)  # once; registered after multiprocessing's, so runs first
        self._since = time.monotonic()

    def after_train(self, runner) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)
        self._previous.clear()

    def _agree(self) -> tuple:
        """(preempted, time to save) as every rank sees it: one MAX all-reduce of two flags."""
        timed = self.every_seconds is not None and time.monotonic() - self._since >= self.every_seconds
        flags = torch.tensor([float(self.received is not None), float(timed)])
        if dist.is_available() and dist.is_initialized():
            if dist.get_backend() == 'nccl':
                flags = flags.cuda()
            dist.all_reduce(flags, op=dist.ReduceOp.MAX)
        return bool(flags[0].item()), bool(flags[1].item())

    def after_train_iter(self, runner, batch_idx: int, data_batch=None, outputs=None) -> None:
        preempted, timed = self._agree()
        if not (preempted or timed):
            return
        done = runner.iter + 1
        path = self._save(runner, done)
        if preempted:
            name = signal.Signals(self.received).name if self.received else 'a signal on another process'
            message = (f'preempted ({name}): saved iteration {done} (epoch {runner.epoch + 1}) to {path}; '
                       f'`tools/train.py ... --resume` continues with iteration {done + 1}')
            runner.logger.info(message)
            raise TrainingPreempted(message, path)
        self._since = time.monotonic()
        if self._last_timed and self._last_timed != path:
            _remove_checkpoint(self._last_timed)
        self._last_timed = path
        runner.logger.info(f'timed checkpoint: saved iteration {done} to {path} '
                           f'(every {self.every_seconds / 60:g} min; the previous timed one removed)')

    def after_val_epoch(self, runner, metrics=None) -> None:
        # a signal during validation: the epoch's checkpoint is already written, and the metrics are now logged
        preempted, _ = self._agree()
        if preempted:
            message = (f'preempted during validation after epoch {runner.epoch}: its checkpoint is complete; '
                       '`tools/train.py ... --resume` continues with the next epoch')
            runner.logger.info(message)
            raise TrainingPreempted(message, None)

    def after_train_epoch(self, runner) -> None:
        """Delete mid-epoch checkpoints an epoch checkpoint written after them supersedes."""
        done = runner.iter
        epoch_file = osp.join(runner.work_dir, f'epoch_{runner.epoch + 1}.pth')
        if runner.rank != 0 or not osp.isfile(epoch_file) or not _epoch_based(runner):
            return
        for path in glob.glob(osp.join(runner.work_dir, 'iter_*.pth')):
            match = ITER_CHECKPOINT.match(osp.basename(path))
            if match and int(match.group(1)) <= done:
                _remove_checkpoint(path)
        self._last_timed = None

    def _save(self, runner, done: int) -> str:
        """Save ``iter_<done>.pth`` (model, optimizer, schedulers, meta of the epoch in progress)."""
        filename = f'iter_{done}.pth'
        path = osp.join(runner.work_dir, filename)
        if not osp.isfile(path):  # an iteration-interval CheckpointHook may have saved this one already
            runner.save_checkpoint(runner.work_dir, filename, meta=dict(epoch=runner.epoch, iter=done),
                                   by_epoch=False)
        if runner.rank == 0:
            atomic_write_bytes(path.encode(), osp.join(runner.work_dir, 'last_checkpoint'))
        return path


def _epoch_based(runner) -> bool:
    return hasattr(runner.train_loop, 'max_epochs') and 'Epoch' in type(runner.train_loop).__name__


def _remove_checkpoint(path: str) -> None:
    for name in (path + SUFFIX, path):  # sidecar first: a kill in between leaves a file without one, still loadable
        if osp.exists(name):
            os.remove(name)


def add_preemption_hook(cfg) -> Optional[dict]:
    """Add the hook to ``cfg.custom_hooks`` per ``cfg.preemption`` (defaults: SIGTERM and SIGUSR1, no timed saves)."""
    from .launch_config import add_custom_hook_once
    settings = dict(DEFAULTS, **(cfg.get('preemption') or {}))
    hook = dict(type='PreemptionCheckpointHook', signals=list(settings['signals']),
                every_minutes=settings['every_minutes'])
    return hook if settings['enable'] and add_custom_hook_once(cfg, hook) else None

