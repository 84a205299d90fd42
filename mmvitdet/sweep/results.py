"""What a run's work_dir says: its evaluations and whether it finished."""
import glob
import os.path as osp
from dataclasses import dataclass, field
from typing import List, Optional, Tuple

from ..analysis.workdir import read_work_dir
from ..engine.divergence_guard import MARKER as DIVERGED_MARKER

METRIC = 'coco/bbox_mAP'
FINISHED = ('done', 'diverged')  # statuses a sweep does not run again


@dataclass
class RunState:
    """``status``: 'new' (nothing yet), 'partial' (a checkpoint to resume from),
    'unevaluated' (trained to the end, final evaluation missing), 'done', or 'diverged' (stopped by the
    divergence guard: its marker is in the work dir; not run again).
    ``evals``: (epoch or None for a test-tool result, value) of ``METRIC``."""
    status: str
    evals: List[Tuple[Optional[int], float]] = field(default_factory=list)
    last_checkpoint: Optional[str] = None

    @property
    def best(self) -> Optional[float]:
        return max((v for _, v in self.evals), default=None)


def read_metrics(work_dir: str, metric: str = METRIC) -> List[Tuple[Optional[int], float]]:
    """Every logged value of ``metric`` under ``work_dir`` (all restarts), de-duplicated.

    Read with :func:`mmvitdet.analysis.workdir.read_work_dir`: validation during
    training (step = epoch) and ``tools/test.py`` results (epoch None); lines cut
    by an interruption are skipped.
    """
    if not osp.isdir(work_dir):
        return []
    found = set()
    for launch in read_work_dir(work_dir).launches:
        found.update((rec.get('step'), float(rec[metric])) for rec in launch.val if metric in rec)
        if launch.test and metric in launch.test:
            found.add((None, float(launch.test[metric])))
    return sorted(found, key=lambda e: (e[0] is None, e[0] or 0, e[1]))


def best_metric(work_dir: str, metric: str = METRIC) -> Optional[float]:
    """The best value of ``metric`` logged under ``work_dir``, or None."""
    return max((v for _, v in read_metrics(work_dir, metric)), default=None)


def _last_checkpoint(work_dir: str) -> Optional[str]:
    pointer = osp.join(work_dir, 'last_checkpoint')
    if osp.isfile(pointer):
        with open(pointer) as f:
            path = f.read().strip()
        if path and osp.isfile(path):
            return path
    ckpts = glob.glob(osp.join(work_dir, 'epoch_*.pth'))
    return max(ckpts, key=lambda p: int(osp.basename(p)[6:-4])) if ckpts else None


def run_state(work_dir: str, epochs: int, metric: str = METRIC) -> RunState:
    """Status of a run of ``epochs`` epochs in ``work_dir``.

    Done means the final checkpoint ``epoch_<epochs>.pth`` exists and the
    final epoch (or a test-tool run) was evaluated.
    """
    if not osp.isdir(work_dir):
        return RunState('new')
    evals = read_metrics(work_dir, metric)
    if osp.isfile(osp.join(work_dir, DIVERGED_MARKER)):
        return RunState('diverged', evals, _last_checkpoint(work_dir))
    last = _last_checkpoint(work_dir)
    if osp.isfile(osp.join(work_dir, f'epoch_{epochs}.pth')):
        final = any(step is None or step == epochs for step, _ in evals)
        return RunState('done' if final else 'unevaluated', evals, osp.join(work_dir, f'epoch_{epochs}.pth'))
    return RunState('partial' if last else 'new', evals, last)
