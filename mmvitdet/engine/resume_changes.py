"""``--resume`` states what changed: the config a checkpoint was trained under against the one given now.

mmengine resumes the optimizer and schedulers from the checkpoint whatever the config says, while the work dir's
config is rewritten with the new values: an lr given on a resume never reaches the optimizer, yet the record says
it was trained. Here tools/train.py compares the two before anything is written (:func:`resume_changes`):
differences outside :data:`FREE_KEYS` / :data:`FREE_LEAVES` (bookkeeping, evaluation and the schedule length)
stop with one error listing them (old -> new); with ``--accept-changes`` they are applied for real
(:class:`ConfigHistoryHook` re-bases the resumed optimizer and lr schedulers on the new values) and recorded in
``<work_dir>/config_history.json`` with the iteration from which they hold. A new schedule length is applied to
the resumed schedulers too (mmengine would keep the checkpoint's ``end`` / ``T_max``).

The saved config is read from the checkpoint's ``meta.cfg`` text with a literal-only parser
(:func:`literal_config`): a checkpoint's text is never executed.
"""
import ast
import json
import os.path as osp
from typing import Any, Dict, List, Optional, Tuple

from mmengine.hooks import Hook
from mmengine.registry import HOOKS

from ..errors import ConfigError
from .atomic_local_backend import atomic_write_bytes

HISTORY = 'config_history.json'
# Keys that do not change what is trained: bookkeeping, logging, evaluation, the tools' own hooks.
FREE_KEYS = ('work_dir', 'resume', 'load_from', 'launcher', 'visualizer', 'log_level', 'log_processor',
             'default_hooks', 'env_cfg', 'preemption', 'divergence_guard', 'val_cfg', 'test_cfg', 'val_dataloader',
             'test_dataloader', 'val_evaluator', 'test_evaluator', 'filename', 'train_cfg.val_interval',
             'train_cfg.val_begin', 'train_cfg.dynamic_intervals',
             # the schedule length: a longer / shorter run is the one change a resume is for
             'train_cfg.max_epochs', 'train_cfg.max_iters')
FREE_LEAVES = ('num_workers', 'persistent_workers', 'pin_memory', 'prefetch_factor')
SCHEDULE_LEAVES = ('end', 'T_max')  # of param_scheduler entries: they follow the schedule length
OWN_HOOKS = ('DivergenceGuardHook', 'PreemptionCheckpointHook', 'BatchInFlightHook', 'ConfigHistoryHook')
SHOWN = 8


def _literal(node: ast.AST) -> Any:
    """The value of a literal expression of mmengine's pretty_text (``dict(...)``, lists, tuples, constants, negative
    numbers); anything else (a function, an expression) stands as its source text."""
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, (ast.List, ast.Tuple)):
        return [_literal(e) for e in node.elts]
    if isinstance(node, ast.Dict) and None not in node.keys:
        keys = [_literal(k) for k in node.keys]
        return {k if isinstance(k, (str, int, float, bool, type(None))) else str(k): _literal(v)
                for k, v in zip(keys, node.values)}
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == 'dict' and not node.args \
            and all(k.arg for k in node.keywords):
        return {k.arg: _literal(k.value) for k in node.keywords}
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub) and isinstance(node.operand, ast.Constant):
        return -node.operand.value
    return f'<{ast.unparse(node)}>'


def literal_config(text: str) -> Dict[str, Any]:
    """Top-level ``name = value`` assignments of a config's Python text, read without executing it."""
    out = {}
    for stmt in ast.parse(text).body:
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
            out[stmt.targets[0].id] = _literal(stmt.value)
    return out


def _normalise(cfg: Dict[str, Any]) -> Dict[str, Any]:
    """Drop what tools/train.py adds on every launch, so runs of older versions compare equal."""
    cfg = dict(cfg)
    hooks = [h for h in cfg.get('custom_hooks') or []
             if not (isinstance(h, dict) and str(h.get('type', '')).split('.')[-1] in OWN_HOOKS)]
    cfg['custom_hooks'] = hooks or None
    train_cfg = cfg.get('train_cfg')
    if isinstance(train_cfg, dict) and train_cfg.get('type') == 'ResumableEpochBasedTrainLoop':
        cfg['train_cfg'] = dict(train_cfg, type='EpochBasedTrainLoop')
    return cfg


def flatten(node: Any, prefix: str = '') -> Dict[str, Any]:
    """``{'a': {'b': [1, 2]}}`` -> ``{'a.b.0': 1, 'a.b.1': 2}``."""
    if isinstance(node, dict) and node:
        out = {}
        for key, value in node.items():
            out.update(flatten(value, f'{prefix}.{key}' if prefix else str(key)))
        return out
    if isinstance(node, list) and node:
        out = {}
        for i, value in enumerate(node):
            out.update(flatten(value, f'{prefix}.{i}'))
        return out
    return {prefix: node}


def _free(key: str) -> bool:
    parts = key.split('.')
    if any(key == k or key.startswith(k + '.') for k in FREE_KEYS) or parts[-1] in FREE_LEAVES:
        return True
    return parts[0] == 'param_scheduler' and parts[-1] in SCHEDULE_LEAVES


def config_changes(saved_text: str, current_text: str) -> Dict[str, Tuple[Any, Any]]:
    """Dotted key -> (saved value, current value) for every difference that changes what is trained."""
    old = flatten(_normalise(literal_config(saved_text)))
    new = flatten(_normalise(literal_config(current_text)))
    missing = '<not set>'
    return {k: (old.get(k, missing), new.get(k, missing)) for k in sorted(set(old) | set(new))
            if old.get(k, missing) != new.get(k, missing) and not _free(k)}


def saved_config_text(checkpoint: str) -> Optional[str]:
    """The ``meta.cfg`` text mmengine stores in its checkpoints (None for files without one)."""
    from .checkpoint_loading import load_checkpoint_file
    loaded = load_checkpoint_file(checkpoint, map_location='cpu', mmap=True)  # tensors stay on disk
    meta = loaded.get('meta') if isinstance(loaded, dict) else None
    return meta.get('cfg') if isinstance(meta, dict) else None


def describe(changes: Dict[str, Tuple[Any, Any]]) -> str:
    shown = [f'{k}: {old!r} -> {new!r}' for k, (old, new) in list(changes.items())[:SHOWN]]
    more = f' (and {len(changes) - SHOWN} more)' if len(changes) > SHOWN else ''
    return '; '.join(shown) + more


def resume_changes(checkpoint: str, current_text: str, accept: bool) -> Dict[str, Tuple[Any, Any]]:
    """The changes a resume from ``checkpoint`` would make; raises :class:`ConfigError` unless ``accept``."""
    saved = saved_config_text(checkpoint)
    if saved is None:
        return {}
    changes = config_changes(saved, current_text)
    if changes and not accept:
        raise ConfigError(
            f'--resume: the config differs from the one {checkpoint} was trained under in {len(changes)} key(s): '
            f'{describe(changes)}. A resume keeps the checkpoint\'s optimizer and schedule, so these would not take '
            'effect as written; resume with the config it was trained under (only the schedule length, '
            'evaluation and logging may change), or add --accept-changes to apply them from the next iteration '
            f'(recorded in the work dir\'s {HISTORY})')
    return changes


def _rebase_lr(checkpoint: dict, optim_wrapper) -> List[float]:
    """Re-base the saved optimizer groups and lr schedulers on the new config's lrs: each group keeps its progress
    through the schedule (current / initial lr) at the new initial lr; other hyper-parameters take the new values.
    Groups as the schedulers see them (mmengine's wrapper appends ``base_param_settings``, the logged base lr).
    Returns the per-group factors."""
    saved_state = checkpoint['optimizer']
    saved_groups = saved_state['param_groups'] + ([saved_state['base_param_settings']]
                                                  if 'base_param_settings' in saved_state else [])
    fresh_groups = optim_wrapper.param_groups
    if len(saved_groups) != len(fresh_groups):
        raise ConfigError(f'--accept-changes: the optimizer has {len(fresh_groups)} parameter groups, the '
                          f'checkpoint {len(saved_groups)}; such a change cannot be resumed (start a new run)')
    factors = []
    for saved, fresh in zip(saved_groups, fresh_groups):
        factor = fresh.get('initial_lr', fresh['lr']) / saved.get('initial_lr', saved['lr'])
        for key, value in fresh.items():
            if key not in ('params', 'lr', 'initial_lr'):
                saved[key] = value
        saved['lr'] *= factor
        if 'initial_lr' in saved:
            saved['initial_lr'] *= factor
        factors.append(factor)
    schedulers = checkpoint.get('param_schedulers') or []
    for state in (schedulers.values() if isinstance(schedulers, dict) else [schedulers]):
        for scheduler in state:
            if scheduler.get('param_name') == 'lr':
                for key in ('base_values', '_last_value'):
                    if key in scheduler:
                        scheduler[key] = [v * f for v, f in zip(scheduler[key], factors)]
    return factors


def _retime_schedulers(checkpoint: dict, schedulers) -> List[str]:
    """Give the resumed schedulers the new config's schedule length (mmengine restores ``end`` / ``T_max`` from the
    checkpoint, so a run resumed with more epochs would spend them at the old schedule's final lr). The cosine
    continues from the current value to the new end. Returns what changed, for the log."""
    saved_states = checkpoint.get('param_schedulers')
    if not isinstance(saved_states, list) or not isinstance(schedulers, list) or len(saved_states) != len(schedulers):
        return []  # a dict of optimizers' schedulers, or a changed scheduler list: left as mmengine has it
    changed = []
    for fresh, saved in zip(schedulers, saved_states):
        for key in ('end', 'T_max'):
            if key in saved and hasattr(fresh, key) and saved[key] != getattr(fresh, key):
                changed.append(f'{type(fresh).__name__} {key} {saved[key]} -> {getattr(fresh, key)}')
                saved[key] = getattr(fresh, key)
    return changed


@HOOKS.register_module()
class ConfigHistoryHook(Hook):
    """Records each launch's config in ``config_history.json`` (launch, iteration it took effect, accepted changes)
    and applies accepted changes to the resumed optimizer and schedulers.

    Args:
        changes: dotted key -> [old, new] accepted for this launch (empty: none).
    """

    priority = 'VERY_HIGH'

    def __init__(self, changes: Optional[Dict[str, list]] = None):
        self.changes = changes or {}

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        if not runner._resume:  # a plain load_from: no optimizer or schedule to carry on
            return
        retimed = _retime_schedulers(checkpoint, runner.param_schedulers)
        if retimed:
            runner.logger.info(f'resume: the lr schedule takes the new length ({", ".join(retimed)}, in iterations)')
        touches_optimizer = any(k.split('.')[0] in ('optim_wrapper', 'param_scheduler', 'auto_scale_lr')
                                for k in self.changes)
        if touches_optimizer and 'optimizer' in checkpoint and hasattr(runner.optim_wrapper, 'param_groups'):
            factors = _rebase_lr(checkpoint, runner.optim_wrapper)
            runner.logger.info(f'--accept-changes: optimizer and lr schedule re-based on the new config (lr x '
                               f'{", ".join(f"{f:g}" for f in sorted(set(factors)))}); other optimizer settings '
                               'take the new values')

    def before_train(self, runner) -> None:
        if self.changes:
            runner.logger.info(f'--accept-changes: from iteration {runner.iter + 1}: {describe(self.changes)}')
        if runner.rank != 0:
            return
        path = osp.join(runner.work_dir, HISTORY)
        history = []
        if osp.isfile(path):
            with open(path) as f:
                history = json.load(f)
        history.append(dict(launch=runner.timestamp, from_iteration=runner.iter + 1,
                            config=osp.relpath(osp.join(runner.log_dir, 'vis_data', 'config.py'), runner.work_dir),
                            changes={k: list(v) for k, v in self.changes.items()}))
        atomic_write_bytes(json.dumps(history, indent=1).encode(), path)
