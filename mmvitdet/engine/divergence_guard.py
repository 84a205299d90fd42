"""Stop a training run at the first non-finite (or too large) loss, before anything of the diverged state is saved.

The paper trains without gradient clipping, so a grid point at too high an lr diverges; it must end at once, not
burn its schedule. ``DivergenceGuardHook`` runs after every iteration ahead of the checkpoint hook: it reads the
loss terms the iteration already computed, agrees across processes (one scalar all-reduce) and, on divergence,
writes ``<work_dir>/diverged.json`` (read by tools/analysis/results_table.py and tools/sweep.py) and raises
:class:`TrainingDiverged`, which the tools print as one line with exit status 2.

A finite loss does not prove finite weights (a step at a huge lr can overflow them while the loss it was computed
from was finite), so before any checkpoint is written (``before_save_checkpoint``: epoch, interval, preemption and
timed saves alike) the hook also checks every floating tensor of the model and the optimizer state; a non-finite one
stops the run the same way, with no checkpoint of that state.

tools/train.py adds it unless ``divergence_guard=dict(enable=False)``; ``divergence_guard.max_loss`` also stops a
finite loss above that value.
"""
import json
import math
import os
import os.path as osp
from typing import Dict, Iterator, List, Optional, Tuple

import torch
import torch.distributed as dist
from mmengine.hooks import Hook
from mmengine.registry import HOOKS

from ..errors import UserInputError

MARKER = 'diverged.json'
DEFAULTS = dict(enable=True, max_loss=None)


class TrainingDiverged(UserInputError, RuntimeError):
    """The loss went non-finite (or above max_loss): the run was stopped."""


def _value(v) -> float:
    return float(v.detach().float().mean()) if isinstance(v, torch.Tensor) else float(v)


def _float_tensors(obj, prefix: str = '') -> Iterator[Tuple[str, torch.Tensor]]:
    """(name, tensor) for every floating tensor in nested dicts / lists (a checkpoint's state and optimizer state)."""
    if isinstance(obj, torch.Tensor):
        if obj.is_floating_point() or obj.is_complex():
            yield prefix, obj
    elif isinstance(obj, dict):
        for k, v in obj.items():
            yield from _float_tensors(v, f'{prefix}.{k}' if prefix else str(k))
    elif isinstance(obj, (list, tuple)):
        for i, v in enumerate(obj):
            yield from _float_tensors(v, f'{prefix}.{i}' if prefix else str(i))


def non_finite_tensors(obj) -> List[str]:
    """Names of the floating tensors in ``obj`` holding a NaN or an infinity (one device sync per device)."""
    by_device: Dict[torch.device, List[Tuple[str, torch.Tensor]]] = {}
    for name, tensor in _float_tensors(obj):
        by_device.setdefault(tensor.device, []).append((name, tensor))
    bad = []
    for items in by_device.values():
        finite = torch.stack([torch.isfinite(t).all() for _, t in items]).cpu()
        bad += [name for (name, _), ok in zip(items, finite.tolist()) if not ok]
    return bad


@HOOKS.register_module()
class DivergenceGuardHook(Hook):
    """Args: max_loss: also stop when the total loss exceeds it (None: only non-finite losses stop)."""

    priority = 'VERY_HIGH'  # before CheckpointHook (VERY_LOW) and the logger in the same iteration

    def __init__(self, max_loss: Optional[float] = None):
        self.max_loss = max_loss

    def before_train(self, runner) -> None:
        marker = osp.join(runner.work_dir, MARKER)
        if runner.rank == 0 and osp.exists(marker):
            os.replace(marker, marker + '.previous')
            runner.logger.info(f'divergence guard: an earlier run in this work dir diverged; its marker is now '
                               f'{marker}.previous')

    def _bad_terms(self, outputs: Dict) -> Dict[str, float]:
        terms = {k: _value(v) for k, v in (outputs or {}).items() if 'loss' in k}
        bad = {k: v for k, v in terms.items() if not math.isfinite(v)}
        total = terms.get('loss')
        if not bad and self.max_loss is not None and total is not None and total > self.max_loss:
            bad['loss'] = total
        return bad

    def after_train_iter(self, runner, batch_idx: int, data_batch=None, outputs: Optional[Dict] = None) -> None:
        bad = self._bad_terms(outputs)
        flag = torch.tensor(float(bool(bad)))
        if dist.is_available() and dist.is_initialized():  # every rank stops together, none waits on the others
            if dist.get_backend() == 'nccl':
                flag = flag.cuda()
            dist.all_reduce(flag)
        if flag.item() == 0:
            return
        shown = {k: v if math.isfinite(v) else str(v) for k, v in bad.items()}  # strict json: 'nan', 'inf'
        terms = ', '.join(f'{k} {v:g}' for k, v in bad.items()) if bad else 'on another process'
        why = 'non-finite' if any(not math.isfinite(v) for v in bad.values()) or not bad else \
            f'above max_loss={self.max_loss:g}'
        self._stop(runner, f'loss {why} ({terms})', dict(loss_terms=shown or 'another rank'), runner.iter + 1)

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        """Refuse to save a state holding a non-finite weight or optimizer statistic (every rank checks its own)."""
        bad = non_finite_tensors({k: checkpoint[k] for k in ('state_dict', 'optimizer') if k in checkpoint})
        if bad:
            shown = ', '.join(bad[:5]) + (', ...' if len(bad) > 5 else '')
            self._stop(runner, f'{len(bad)} non-finite tensor(s) in the state about to be saved ({shown})',
                       dict(non_finite_tensors=bad[:20], non_finite_count=len(bad)),
                       checkpoint.get('meta', {}).get('iter', runner.iter))

    def _stop(self, runner, what: str, details: dict, iteration: int) -> None:
        """Write the marker and raise :class:`TrainingDiverged`."""
        lrs = runner.optim_wrapper.get_lr() if hasattr(runner.optim_wrapper, 'get_lr') else {}
        lr = next(iter(lrs.values()))[0] if lrs else float('nan')
        record = dict(iter=iteration, epoch=runner.epoch + 1, lr=lr, max_loss=self.max_loss, **details)
        marker = osp.join(runner.work_dir, MARKER)
        if runner.rank == 0:
            tmp = marker + '.tmp'
            with open(tmp, 'w') as f:
                json.dump(record, f)
            os.replace(tmp, marker)
        raise TrainingDiverged(
            f'training diverged at iteration {record["iter"]} (epoch {record["epoch"]}): {what} at lr {lr:.3g}; '
            f'stopped with no checkpoint of this state, marker {marker}. Lower optim_wrapper.optimizer.lr, or set '
            'divergence_guard.enable=False to train on regardless')


def add_divergence_guard(cfg) -> Optional[dict]:
    """Add the hook to ``cfg.custom_hooks`` per ``cfg.divergence_guard`` (defaults: on, no max_loss)."""
    from .launch_config import add_custom_hook_once
    settings = dict(DEFAULTS, **(cfg.get('divergence_guard') or {}))
    hook = dict(type='DivergenceGuardHook', max_loss=settings['max_loss'])
    return hook if settings['enable'] and add_custom_hook_once(cfg, hook) else None
