"""What the figure tools (tools/analysis/plot_*.py) share: their common arguments, reading the work dirs, and
saving a figure or saying why there is none."""
import argparse
import sys
from typing import Callable, Optional

from .figures import save_figure
from .groups import group_runs
from .results_report import runs_from_dirs


def figure_parser(doc: str) -> argparse.ArgumentParser:
    """A parser with the work dirs, ``--out``, ``--metric`` and ``--stale-hours``; the tool adds its own."""
    parser = argparse.ArgumentParser(description=doc.split('\n')[0])
    parser.add_argument('work_dirs', nargs='+', help='work dirs, or folders holding them')
    parser.add_argument('--out', required=True, help='output path without extension')
    parser.add_argument('--metric', choices=['box', 'mask'], default='box')
    parser.add_argument('--stale-hours', type=float, default=2.0)
    return parser


def run_figure_tool(tool: str, parser: argparse.ArgumentParser, draw: Callable, missing: Callable,
                    argv: Optional[list] = None) -> None:
    """Parse ``argv``, read the runs of ``work_dirs``, ``draw(groups, args)`` and write OUT.png / .pdf (printing
    the paths). No figure: exit naming ``tool`` and the run it needs, worded by ``missing(args)``."""
    args = parser.parse_args(argv)
    try:
        runs = runs_from_dirs(args.work_dirs, args.stale_hours)
    except FileNotFoundError as e:
        sys.exit(f'{tool}: {e}')
    fig = draw(group_runs(runs), args)
    if fig is None:
        sys.exit(f'{tool}: no {missing(args)} among {len(runs)} run(s); see tools/analysis/results_table.py for '
                 'their status')
    for path in save_figure(fig, args.out):
        print(path)
