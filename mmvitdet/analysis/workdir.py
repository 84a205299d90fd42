"""Read what an mmengine Runner leaves in a work dir: dumped configs and json scalar logs.

Layout (mmengine 0.10): ``WORK_DIR/<config>.py`` (the dumped config of the latest start),
``WORK_DIR/last_checkpoint``, and one folder per start of the Runner,
``WORK_DIR/<timestamp>/`` with ``<timestamp>.log``, ``vis_data/config.py`` and
``vis_data/scalars.json`` (one json object per line: train records carry ``epoch``,
``iter`` and the losses; validation records carry the metrics and ``step``, the epoch,
or the iteration when the LoggerHook logs metrics by iteration). A test run writes its
metrics as one json object to ``<timestamp>/<timestamp>.json``.
"""
import json
import math
import os
import os.path as osp
import re
from dataclasses import dataclass, field
from typing import List, Optional

TIMESTAMP = re.compile(r'^\d{8}_\d{6}$')


@dataclass
class Launch:
    """One start of the Runner: a ``<timestamp>`` folder of the work dir."""
    path: str
    config_path: Optional[str]  # vis_data/config.py, None when missing
    train: List[dict] = field(default_factory=list)  # records with a loss
    val: List[dict] = field(default_factory=list)  # records with metrics, by ``step``
    test: Optional[dict] = None  # metrics of a test run
    problems: List[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return osp.basename(self.path)


@dataclass
class WorkDirLogs:
    path: str
    launches: List[Launch]  # oldest first
    top_configs: List[str]  # dumped configs at the top of the work dir
    last_checkpoint: Optional[str]
    last_write: float  # newest modification time of any file read, seconds since epoch


def _is_train_record(rec: dict) -> bool:
    return 'loss' in rec or any(k.startswith('loss_') for k in rec) or 'lr' in rec


def read_json_lines(path: str, problems: List[str]) -> List[dict]:
    """Records of a json-lines file. A malformed line is reported in ``problems`` and skipped
    (a run killed while writing leaves half a line at the end)."""
    records = []
    with open(path) as f:
        lines = f.read().splitlines()
    for i, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)  # json accepts NaN / Infinity, which mmengine writes
        except json.JSONDecodeError as e:
            where = 'last line' if i == len(lines) else f'line {i}'
            problems.append(f'{path}: {where} is not json ({e.msg}); skipped')
            continue
        if not isinstance(rec, dict):
            problems.append(f'{path}: line {i} is not a json object; skipped')
            continue
        records.append(rec)
    return records


def read_launch(path: str) -> Launch:
    vis = osp.join(path, 'vis_data')
    config = osp.join(vis, 'config.py')
    launch = Launch(path, config if osp.isfile(config) else None)
    scalars = osp.join(vis, 'scalars.json')
    if not osp.isfile(scalars):  # the LoggerHook's own copy has the same lines
        scalars = osp.join(vis, f'{launch.name}.json')
    if osp.isfile(scalars):
        for rec in read_json_lines(scalars, launch.problems):
            (launch.train if _is_train_record(rec) else launch.val).append(rec)
    test_json = osp.join(path, f'{launch.name}.json')
    if osp.isfile(test_json):
        recs = read_json_lines(test_json, launch.problems)
        launch.test = recs[-1] if recs else None
    return launch


def _mtime(paths: List[str]) -> float:
    times = []
    for p in paths:
        for root, _, files in os.walk(p) if osp.isdir(p) else [(osp.dirname(p), [], [osp.basename(p)])]:
            times += [osp.getmtime(osp.join(root, f)) for f in files]
    return max(times, default=math.nan)


def read_work_dir(path: str) -> WorkDirLogs:
    """All launches of the work dir ``path``, oldest first."""
    if not osp.isdir(path):
        raise FileNotFoundError(f'{path} is not a directory; give mmengine work dirs '
                                '(the --work-dir of tools/train.py).')
    entries = sorted(os.listdir(path))
    launch_dirs = [osp.join(path, e) for e in entries
                   if TIMESTAMP.match(e) and osp.isdir(osp.join(path, e))]
    top_configs = [osp.join(path, e) for e in entries
                   if e.endswith('.py') and osp.isfile(osp.join(path, e))]
    last_checkpoint = None
    marker = osp.join(path, 'last_checkpoint')
    if osp.isfile(marker):
        with open(marker) as f:
            last_checkpoint = f.read().strip() or None
    return WorkDirLogs(path, [read_launch(d) for d in launch_dirs], top_configs,
                       last_checkpoint, _mtime(launch_dirs + top_configs))


def is_work_dir(path: str) -> bool:
    """Whether ``path`` looks like an mmengine work dir (a timestamp folder or a dumped config)."""
    if not osp.isdir(path):
        return False
    return any(TIMESTAMP.match(e) for e in os.listdir(path))


def find_work_dirs(roots: List[str], max_depth: int = 4) -> List[str]:
    """Work dirs among ``roots`` and below them (e.g. work_dirs/sweeps/<grid>/<run>).

    The search does not descend into a work dir, nor deeper than ``max_depth`` levels.
    """
    found = []
    for root in roots:
        if not osp.isdir(root):
            raise FileNotFoundError(f'{root} is not a directory; give work dirs or folders '
                                    'holding them.')
        level = [root]
        for _ in range(max_depth + 1):
            below = []
            for path in level:
                if is_work_dir(path):
                    found.append(path)
                else:
                    below += [osp.join(path, e) for e in sorted(os.listdir(path))
                              if not e.startswith('.') and osp.isdir(osp.join(path, e))]
            level = below
    return found
