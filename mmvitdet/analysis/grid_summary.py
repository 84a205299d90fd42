"""Hyper-parameter grids: every point with its AP, the best point, and edge warnings.

A grid is the set of configs that agree on everything except lr, weight decay and drop
path. The paper extends a grid when its best value lies on the grid's edge; here a point
is on the edge of an axis when, among the points that share its other coordinates, its
value is the smallest or the largest tried.
"""
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple

from .groups import RunGroup, format_mean_std
from .result_tables import NA, best_group
from .run_identity import INIT_LABELS
from .runs import Run
from .table_format import Table

AXES = (('lr', 'optim_wrapper.optimizer.lr'),
        ('wd', 'optim_wrapper.optimizer.weight_decay'),
        ('dp', 'model.backbone.drop_path_rate'))


def _g(value) -> str:
    return NA if value is None else f'{value:g}'


def grid_key(fingerprint: Tuple) -> Tuple:
    swept = {key for _, key in AXES}
    return tuple(item for item in fingerprint if item[0] not in swept)


@dataclass
class Grid:
    points: List[RunGroup]
    pending: List[Run] = field(default_factory=list)  # unfinished runs of this grid

    def coords(self, g: RunGroup) -> Tuple:
        return tuple(getattr(g.identity, name) for name, _ in AXES)

    @property
    def axes(self) -> List[int]:
        """Indices (into AXES) of the axes with more than one value."""
        return [i for i in range(len(AXES))
                if len({self.coords(g)[i] for g in self.points}) > 1]

    @property
    def best(self) -> Optional[RunGroup]:
        return best_group(self.points)

    def edge_warnings(self) -> List[str]:
        best = self.best
        if best is None:
            return []
        at = self.coords(best)
        warnings = []
        for i in self.axes:
            line = sorted({self.coords(g)[i] for g in self.points
                           if all(c == at[j] for j, c in enumerate(self.coords(g)) if j != i)}
                          - {None})
            if len(line) < 2 or at[i] is None:
                continue
            name = AXES[i][0]
            if at[i] == line[0]:
                warnings.append(f'best {name}={_g(at[i])} is the smallest tried '
                                f'({", ".join(map(_g, line))}): extend the grid below it')
            elif at[i] == line[-1]:
                warnings.append(f'best {name}={_g(at[i])} is the largest tried '
                                f'({", ".join(map(_g, line))}): extend the grid above it')
        return warnings

    def title(self) -> str:
        ident = (self.points or [RunGroup(r.identity, [r]) for r in self.pending])[0].identity
        text = (f'Grid: {INIT_LABELS.get(ident.init, ident.init)} ViT-{ident.size} '
                f'{ident.schedule_label}')
        if ident.variant:
            text += f' [{ident.variant}]'
        if ident.setting:
            text += f' ({ident.setting})'
        return text


def find_grids(groups: List[RunGroup], runs: List[Run]) -> List[Grid]:
    """Grids with more than one point (finished or not), in order of first appearance."""
    grids: Dict[Tuple, Grid] = {}
    for g in groups:
        grids.setdefault(grid_key(g.runs[0].fingerprint), Grid([])).points.append(g)
    for run in runs:
        if run.status != 'finished' and run.identity is not None:
            grids.setdefault(grid_key(run.fingerprint), Grid([])).pending.append(run)
    return [grid for grid in grids.values() if len(grid.points) + len(grid.pending) > 1]


def grid_table(grid: Grid) -> Table:
    table = Table(grid.title(), ['lr', 'wd', 'dp', 'n', 'APbox', 'APmask', 'best', 'status'])
    best = grid.best
    for g in sorted(grid.points, key=lambda g: [(v is None, v or 0) for v in grid.coords(g)]):
        lr, wd, dp = grid.coords(g)
        table.rows.append([_g(lr), _g(wd), _g(dp), str(g.n),
                           format_mean_std(g, 'box') or NA, format_mean_std(g, 'mask') or NA,
                           '★' if g is best else '', 'finished'])
    for run in grid.pending:
        ident = run.identity
        table.rows.append([_g(ident.lr), _g(ident.wd), _g(ident.dp), '1', NA, NA, '',
                           f'{run.status}: {run.detail} ({run.name})'])
    table.notes = [f'WARNING: {w}' for w in grid.edge_warnings()]
    if grid.pending:
        table.notes.append(f'{len(grid.pending)} point(s) not finished: the best point may change')
    if best is not None:
        table.notes.append(f'best (★, highest APbox): {best.label}')
    return table


def grid_matrix(grid: Grid, metric: str = 'box') -> Optional[Table]:
    """lr x wd matrix of AP when exactly these two axes vary (the paper's first grid)."""
    if [AXES[i][0] for i in grid.axes] != ['lr', 'wd']:
        return None
    lrs = sorted({g.identity.lr for g in grid.points} - {None})
    wds = sorted({g.identity.wd for g in grid.points} - {None})
    cell = {(g.identity.lr, g.identity.wd): g for g in grid.points}
    best = grid.best
    table = Table(f'{grid.title()}: AP{metric} lr x wd', ['lr \\ wd'] + [_g(w) for w in wds])
    for lr in lrs:
        row = [_g(lr)]
        for wd in wds:
            g = cell.get((lr, wd))
            text = NA if g is None or g.mean(metric) is None else f'{g.mean(metric):.1f}'
            row.append(text + (' ★' if g is best and g is not None else ''))
        table.rows.append(row)
    return table
