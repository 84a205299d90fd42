"""Repeats of one config (several seeds) pooled into a mean and a standard deviation.

Runs are repeats when their configs agree on everything but bookkeeping (work dir, seed,
logging, data paths): see :func:`mmvitdet.analysis.runs.fingerprint`.
"""
import statistics
from dataclasses import dataclass
from typing import Dict, List, Optional, Tuple

from .run_identity import RunIdentity
from .runs import Run, config_difference


@dataclass
class RunGroup:
    """Finished runs of one config."""
    identity: RunIdentity
    runs: List[Run]
    differs: Tuple[str, ...] = ()  # config keys separating it from groups of the same identity

    @property
    def n(self) -> int:
        return len(self.runs)

    def values(self, metric: str) -> List[float]:
        return [getattr(r, metric) for r in self.runs if getattr(r, metric) is not None]

    def mean(self, metric: str) -> Optional[float]:
        vals = self.values(metric)
        return statistics.fmean(vals) if vals else None

    def std(self, metric: str) -> Optional[float]:
        """Sample standard deviation (n - 1), None for fewer than two runs."""
        vals = self.values(metric)
        return statistics.stdev(vals) if len(vals) > 1 else None

    @property
    def label(self) -> str:
        """Schedule and hyper-parameters, e.g. '100e lr 8e-05 wd 0.1 dp 0.1'."""
        ident = self.identity
        text = f'{ident.schedule_label} lr {ident.lr:g} wd {ident.wd:g} dp {ident.dp:g}' if (
            None not in (ident.lr, ident.wd, ident.dp)) else ident.schedule_label
        if ident.variant:
            text += f' [{ident.variant}]'
        if ident.setting:
            text += f' ({ident.setting})'
        if self.differs:
            text += ' {' + ', '.join(self.differs[:3]) + ('...' if len(self.differs) > 3 else '') + '}'
        return text


def group_runs(runs: List[Run]) -> List[RunGroup]:
    """Groups of the finished runs, in the order of their first run."""
    by_print: Dict[Tuple, RunGroup] = {}
    for run in runs:
        if run.status != 'finished' or run.identity is None:
            continue
        group = by_print.get(run.fingerprint)
        if group is None:
            by_print[run.fingerprint] = RunGroup(run.identity, [run])
        else:
            group.runs.append(run)
    groups = list(by_print.items())
    # Same identity, different config: say where they differ, so that no reader takes them
    # for seeds of one config.
    for i, (fp, group) in enumerate(groups):
        twins = [other_fp for j, (other_fp, other) in enumerate(groups)
                 if j != i and other.identity == group.identity]
        if twins:
            keys = sorted({k for other_fp in twins for k in config_difference(fp, other_fp)})
            group.differs = tuple(keys)
    return [g for _, g in groups]


def format_mean_std(group: Optional[RunGroup], metric: str, digits: int = 1) -> str:
    """'50.3', or '50.3 ± 0.2 (n=3)' for repeats, or '' without a group."""
    if group is None or group.mean(metric) is None:
        return ''
    text = f'{group.mean(metric):.{digits}f}'
    std = group.std(metric)
    if std is not None:
        text += f' ± {std:.{digits}f} (n={len(group.values(metric))})'
    return text
