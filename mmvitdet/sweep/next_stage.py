"""The paper's protocol, step by step: re-centre a grid whose best point is on an edge, else move on.

Stage 1 searches lr x wd (dp 0); when the best point lies on the edge of a
searched axis the grid is extended (re-centred on it, so finished runs are
reused by name); otherwise stage 2 searches drop path at the best lr and wd.
"""
import os
import os.path as osp
from dataclasses import dataclass
from typing import Dict, List, Optional

from .grid import AXES, Grid, GridError, Run

# Drop path is a probability; an 'add' step never goes past these.
BOUNDS = {'drop_path': (0.0, 0.9)}


@dataclass
class NextStage:
    """``kind``: 'extend' (same stage, re-centred) or 'next' (the grid's next_stage) or 'final'.

    ``grid`` holds the fields of the grid file to write (None when final).
    """
    kind: str
    best: Run
    best_value: float
    grid: Optional[dict]
    reason: str


def _neighbours(axis: str, value: float, step) -> List[float]:
    kind, amount = step
    lo, hi = BOUNDS.get(axis, (0.0, float('inf')))
    if kind == 'mul':
        vals = [value / amount, value, value * amount]
    else:
        vals = [value - amount, value, value + amount]
    return sorted({round(v, 12) for v in vals if lo <= round(v, 12) <= hi})


def _edge_axes(grid: Grid, best: Run) -> Dict[str, str]:
    """Searched axes (2+ values) whose best value is the lowest or highest, and can move further."""
    edges = {}
    for axis, values in grid.search.items():
        if len(values) < 2 or axis not in grid.steps:
            continue
        v = best.values[axis]
        outward = _neighbours(axis, v, grid.steps[axis])
        if v == values[0] and outward[0] < v:
            edges[axis] = 'low'
        elif v == values[-1] and outward[-1] > v:
            edges[axis] = 'high'
    return edges


def plan_next_stage(grid: Grid, results: Dict[str, Optional[float]]) -> NextStage:
    """Decide the next grid from ``results`` (run name -> best bbox mAP; None = no result).

    Raises GridError when no run of the grid has a result.
    """
    runs = grid.runs()
    scored = [(results.get(r.name), r) for r in runs if results.get(r.name) is not None]
    if not scored:
        raise GridError(f'{grid.path}: no run has a bbox mAP yet; train the grid first '
                        '(python tools/sweep.py GRID)')
    value, best = max(scored, key=lambda s: s[0])
    common = dict(name=grid.name, config=grid.config, steps={a: list(s) for a, s in grid.steps.items()})
    edges = _edge_axes(grid, best)
    if edges:
        search = dict(grid.search)
        for axis in edges:
            search[axis] = _neighbours(axis, best.values[axis], grid.steps[axis])
        where = ', '.join(f'{a}={best.values[a]} ({side} edge)' for a, side in edges.items())
        return NextStage('extend', best, value,
                         dict(common, stage=grid.stage, epochs=grid.epochs, search=search,
                              next_stage=grid.next_stage),
                         f'best point on the edge: {where}; grid re-centred on it (paper: extend the grid '
                         'when the best value lies on its edge)')
    if grid.next_stage is None:
        return NextStage('final', best, value, None,
                         f'best point inside the grid and {osp.basename(grid.path)} has no next_stage')
    nxt = grid.next_stage
    search = {a: [best.values[a]] for a in AXES}
    search.update(nxt['search'])
    return NextStage('next', best, value,
                     dict(common, stage=nxt['stage'], epochs=nxt['epochs'], search=search,
                          next_stage=nxt.get('next_stage')),
                     f"best point inside the grid: stage {nxt['stage']} at the best "
                     + ', '.join(f'{a}={best.values[a]}' for a in AXES if a not in nxt['search']))


def _literal(value) -> str:
    if isinstance(value, dict):
        return 'dict(' + ', '.join(f'{k}={_literal(v)}' for k, v in value.items()) + ')'
    if isinstance(value, (list, tuple)):
        inner = ', '.join(_literal(v) for v in value)
        return f'({inner},)' if isinstance(value, tuple) and len(value) == 1 else \
            (f'({inner})' if isinstance(value, tuple) else f'[{inner}]')
    return repr(value)


def write_grid(fields: dict, path: str, source: str, reason: str) -> str:
    """Write a grid file; an existing file with other content is kept (error names it)."""
    lines = [f'# Written by tools/sweep.py --next-stage from {source}', f'# {reason}']
    for key in ('name', 'config', 'stage', 'epochs', 'search', 'steps', 'next_stage'):
        if fields.get(key) is not None:
            lines.append(f'{key} = {_literal(fields[key])}')
    text = '\n'.join(lines) + '\n'
    if osp.exists(path):
        with open(path) as f:
            if f.read() == text:
                return text
        raise GridError(f'{path} exists with other content; pass --out NEW_FILE or move it away')
    os.makedirs(osp.dirname(path) or '.', exist_ok=True)
    with open(path, 'w') as f:
        f.write(text)
    return text
