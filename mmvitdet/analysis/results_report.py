"""Work dirs in, every result table out (what tools/analysis/results_table.py prints)."""
import os
import os.path as osp
from typing import List, Sequence

from .grid_summary import find_grids, grid_matrix, grid_table
from .groups import group_runs
from .result_tables import all_runs_table, main_table, protocols_table, repeats_table, schedule_table
from .runs import Run, collect_runs
from .workdir import find_work_dirs
from .table_format import FORMATS, Table

SECTIONS = ('main', 'protocols', 'schedule', 'repeats', 'grids', 'runs')


def runs_from_dirs(roots: Sequence[str], stale_hours: float = 2.0) -> List[Run]:
    """Runs of every work dir in or under ``roots``; raises when there is none."""
    dirs = find_work_dirs(list(roots))
    if not dirs:
        raise FileNotFoundError(f'no mmengine work dir (a folder with <timestamp>/ logs) in or '
                                f'under {" ".join(roots)}')
    return collect_runs(dirs, stale_hours)


def build_tables(runs: List[Run], sections: Sequence[str] = SECTIONS) -> List[Table]:
    unknown = set(sections) - set(SECTIONS)
    if unknown:
        raise ValueError(f'unknown table section(s) {sorted(unknown)}: choose from {SECTIONS}.')
    groups = group_runs(runs)
    tables: List[Table] = []
    if 'main' in sections:
        tables.append(main_table(groups))
    if 'protocols' in sections:
        tables.append(protocols_table(groups))
    if 'schedule' in sections:
        tables.append(schedule_table(groups))
    if 'repeats' in sections:
        tables.append(repeats_table(groups))
    if 'grids' in sections:
        for grid in find_grids(groups, runs):
            tables.append(grid_table(grid))
            matrix = grid_matrix(grid)
            if matrix is not None:
                tables.append(matrix)
    if 'runs' in sections:
        tables.append(all_runs_table(groups, runs))
    return tables


def render_tables(tables: List[Table], fmt: str) -> str:
    sep = '\n' if fmt == 'md' else '\n\n'
    parts = []
    for table in tables:
        text = table.render(fmt)
        parts.append(text if fmt == 'md' else f'# {table.title}\n{text}')
    return sep.join(parts)


def write_tables(tables: List[Table], out_dir: str) -> List[str]:
    """Every table in every format as ``out_dir/<table slug>.<md|csv|tex>``; returns the paths."""
    os.makedirs(out_dir, exist_ok=True)
    written = []
    slugs = {}
    for table in tables:
        slug = table.slug
        slugs[slug] = slugs.get(slug, 0) + 1
        if slugs[slug] > 1:
            slug = f'{slug}_{slugs[slug]}'
        for fmt in FORMATS:
            path = osp.join(out_dir, f'{slug}.{fmt}')
            with open(path, 'w') as f:
                f.write(table.render(fmt))
            written.append(path)
    return written
