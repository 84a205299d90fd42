"""One record per work dir: identity, status, final AP and the validation curve.

A run counts as ``finished`` only when the validation (or a test run) after its last
epoch is in the logs; everything else is reported with its status and never enters the
tables' numbers.
"""
import json
import math
import os.path as osp
import time
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple

from mmengine.config import Config

from ..engine.divergence_guard import MARKER as DIVERGED_MARKER
from .run_identity import RunIdentity, identify_run
from .workdir import WorkDirLogs, read_work_dir

BOX_KEYS = ('coco/bbox_mAP', 'bbox_mAP')
MASK_KEYS = ('coco/segm_mAP', 'segm_mAP')
# Keys of a config that do not change the experiment: runs that differ only in these are
# repeats of one config (their seeds may differ).
BOOKKEEPING = ('work_dir', 'randomness', 'launcher', 'resume', 'load_from', 'default_hooks',
               'log_processor', 'log_level', 'visualizer', 'vis_backends', 'env_cfg', 'filename')
BOOKKEEPING_LEAVES = ('num_workers', 'persistent_workers', 'pin_memory', 'data_root',
                      'backend_args', 'with_cp')

STATUSES = ('finished', 'running', 'stopped', 'diverged', 'no logs', 'unreadable')


@dataclass
class Run:
    path: str
    status: str  # one of STATUSES
    detail: str = ''  # progress, reason
    identity: Optional[RunIdentity] = None
    fingerprint: Tuple = ()  # config minus bookkeeping, for grouping repeats
    seed: Optional[int] = None
    total_batch: Optional[int] = None  # GPUs x images per GPU, when the log says
    box: Optional[float] = None  # final AP x 100
    mask: Optional[float] = None
    curve: List[Tuple[int, Optional[float], Optional[float]]] = field(default_factory=list)
    notes: List[str] = field(default_factory=list)
    name: str = ''  # for tables; the folder name unless collect_runs gives a longer one

    def __post_init__(self):
        self.name = self.name or osp.basename(osp.normpath(self.path))


def _metric(rec: Dict, keys) -> Optional[float]:
    for key in keys:
        if key in rec and rec[key] is not None and rec[key] >= 0:
            return 100.0 * float(rec[key])
    return None


def _flatten(node, prefix: str = '') -> Dict[str, object]:
    out: Dict[str, object] = {}
    if isinstance(node, dict):
        for key, value in node.items():
            out.update(_flatten(value, f'{prefix}.{key}' if prefix else str(key)))
    elif isinstance(node, (list, tuple)):
        for i, value in enumerate(node):
            out.update(_flatten(value, f'{prefix}[{i}]'))
    else:
        # paths: only the file name matters (a copy of the data elsewhere is the same data)
        out[prefix] = osp.basename(node) if isinstance(node, str) and '/' in node else node
    return out


def fingerprint(cfg: Dict) -> Tuple:
    flat = _flatten({k: v for k, v in cfg.items() if k not in BOOKKEEPING})
    return tuple(sorted((k, repr(v)) for k, v in flat.items()
                        if k.rsplit('.', 1)[-1] not in BOOKKEEPING_LEAVES))


def config_difference(a: Tuple, b: Tuple) -> List[str]:
    """Dotted keys whose values differ between two fingerprints."""
    da, db = dict(a), dict(b)
    return sorted(k for k in set(da) | set(db) if da.get(k) != db.get(k))


def _load_config(path: str) -> Dict:
    return Config.fromfile(path).to_dict()


def _log_header(logs: WorkDirLogs) -> Dict[str, int]:
    """``seed`` and ``gpus`` (world size) from the runtime header of the newest launch's log."""
    for launch in reversed(logs.launches):
        log = osp.join(launch.path, f'{launch.name}.log')
        if not osp.isfile(log):
            continue
        found = {}
        with open(log, errors='replace') as f:
            for line in f:
                text = line.strip()
                if text.startswith('seed:'):
                    found['seed'] = int(text.split(':', 1)[1])
                elif text.startswith('GPU number:'):
                    found['gpus'] = int(text.split(':', 1)[1])
                elif ' - INFO - Config:' in line:  # the header ends here
                    break
        if found:
            return found
    return {}


def _curve(logs: WorkDirLogs) -> Dict[int, Tuple[Optional[float], Optional[float]]]:
    """Validation AP by step; a later launch (resume) overrides an earlier one."""
    curve = {}
    for launch in logs.launches:
        for rec in launch.val:
            if 'step' in rec:
                curve[int(rec['step'])] = (_metric(rec, BOX_KEYS), _metric(rec, MASK_KEYS))
    return curve


def _config_source(logs: WorkDirLogs) -> Tuple[Optional[str], List[str]]:
    """The config of the newest launch that trained, else the dumped top-level config."""
    notes = []
    trained = [la for la in logs.launches if la.train and la.config_path]
    if trained:
        paths = [la.config_path for la in trained]
        if len({open(p).read() for p in paths}) > 1:
            notes.append(f'config changed between launches ({", ".join(la.name for la in trained)}); '
                         'identified by the newest')
        return paths[-1], notes
    with_config = [la.config_path for la in logs.launches if la.config_path]
    if with_config:
        return with_config[-1], notes
    if len(logs.top_configs) == 1:
        return logs.top_configs[0], notes
    return None, notes


def accepted_changes(path: str) -> List[str]:
    """Notes on the config changes a resume applied (``--accept-changes``), from ``config_history.json``."""
    from ..engine.resume_changes import HISTORY
    history_file = osp.join(path, HISTORY)
    if not osp.isfile(history_file):
        return []
    try:
        with open(history_file) as f:
            history = json.load(f)
    except ValueError as e:
        return [f'{HISTORY} unreadable ({e})']
    return [f'from iteration {entry.get("from_iteration")}: ' +
            ', '.join(f'{k} {old!r} -> {new!r}' for k, (old, new) in entry['changes'].items())
            for entry in history if isinstance(entry, dict) and entry.get('changes')]


def collect_run(path: str, stale_hours: float = 2.0, now: Optional[float] = None) -> Run:
    """Read the work dir ``path`` into a :class:`Run`.

    ``stale_hours``: an unfinished run whose files have not changed for this long is
    'stopped' (crashed or killed), otherwise 'running'.
    """
    logs = read_work_dir(path)
    run = Run(path, 'unreadable')
    for launch in logs.launches:
        run.notes += launch.problems
    config_path, notes = _config_source(logs)
    run.notes += notes + accepted_changes(path)
    if config_path is None:
        run.detail = (f'no dumped config ({len(logs.top_configs)} .py files at the top, none in '
                      '<timestamp>/vis_data): cannot tell what was run')
        return run
    try:
        cfg = _load_config(config_path)
    except Exception as e:  # a broken dump must not hide the other runs
        run.detail = f'config {config_path} does not load: {type(e).__name__}: {e}'
        return run
    config_name = logs.top_configs[-1] if logs.top_configs else config_path
    run.identity = identify_run(cfg, config_name)
    header = _log_header(logs)
    seed = (cfg.get('randomness') or {}).get('seed')
    run.seed = int(seed) if seed is not None else header.get('seed')
    run.fingerprint = fingerprint(cfg)
    per_gpu = (cfg.get('train_dataloader') or {}).get('batch_size')
    if 'gpus' in header and per_gpu:
        # Runs on different GPU counts are different experiments (batch, scaled lr).
        run.total_batch = header['gpus'] * per_gpu
        run.fingerprint += (('<total batch>', repr(run.total_batch)), )
        scale = cfg.get('auto_scale_lr') or {}
        if scale.get('enable') and scale.get('base_batch_size') not in (None, run.total_batch):
            run.notes.append(f'total batch {run.total_batch} ({header["gpus"]} GPUs x {per_gpu}): '
                             f'auto_scale_lr scaled the lr by '
                             f'{run.total_batch / scale["base_batch_size"]:g} '
                             f'(the config\'s lr is for batch {scale["base_batch_size"]})')
    if run.identity.init == 'unknown':
        run.notes.append(f'init unknown: {run.identity.init_source}; name the init in the '
                         "checkpoint file or set init_cfg format='mae'/'mocov3'/'beit'")

    ident = run.identity
    curve = _curve(logs)
    run.curve = [(step, box, mask) for step, (box, mask) in sorted(curve.items())]
    train = [rec for launch in logs.launches for rec in launch.train]
    key = 'epoch' if ident.by_epoch else 'iter'
    reached = max((int(rec.get(key, 0)) for rec in train), default=0)
    bad = [rec for rec in train if not math.isfinite(float(rec.get('loss', 0.0)))]
    test = next((la.test for la in reversed(logs.launches) if la.test), None)
    final = curve.get(ident.schedule)

    if not logs.launches or (not train and not curve and test is None):
        run.status, run.detail = 'no logs', 'no training or validation records yet'
    elif osp.isfile(osp.join(path, DIVERGED_MARKER)):
        with open(osp.join(path, DIVERGED_MARKER)) as f:
            marker = json.load(f)
        run.status = 'diverged'
        run.detail = (f'stopped at iteration {marker.get("iter")} (epoch {marker.get("epoch")}): '
                      f'{marker.get("loss_terms") or str(marker.get("non_finite_count")) + " non-finite tensors"} '
                      f'at lr {marker.get("lr")}')
    elif bad:
        run.status = 'diverged'
        run.detail = f'loss {bad[0]["loss"]} at {key} {bad[0].get(key, "?")} of {ident.schedule}'
    elif final is not None and final[0] is not None:
        run.status, (run.box, run.mask) = 'finished', final
        run.detail = f'{key} {ident.schedule}/{ident.schedule}'
    elif reached >= ident.schedule and test is not None and _metric(test, BOX_KEYS) is not None:
        run.status = 'finished'
        run.box, run.mask = _metric(test, BOX_KEYS), _metric(test, MASK_KEYS)
        run.detail = f'{key} {ident.schedule}/{ident.schedule}, AP from the test run'
    else:
        idle_h = ((now or time.time()) - logs.last_write) / 3600
        run.status = 'stopped' if idle_h >= stale_hours else 'running'
        run.detail = f'{key} {reached}/{ident.schedule}, last write {idle_h:.1f} h ago'
        if reached >= ident.schedule:
            run.detail += ', no evaluation after the last epoch'
    return run


def collect_runs(paths: List[str], stale_hours: float = 2.0) -> List[Run]:
    """Runs of the work dirs ``paths``, named by their path below the common parent."""
    runs = [collect_run(p, stale_hours) for p in paths]
    if len(runs) > 1:
        common = osp.commonpath([osp.abspath(p) for p in paths])
        for run in runs:
            run.name = osp.relpath(osp.abspath(run.path), common)
    return runs
