"""Result tables from mmengine work dirs: the paper's main table, schedules, repeats, grids, run status.

    python tools/analysis/results_table.py work_dirs/                 # markdown to stdout
    python tools/analysis/results_table.py work_dirs/* --format tex
    python tools/analysis/results_table.py work_dirs/ --out-dir results/tables   # md, csv, tex files
    python tools/analysis/results_table.py work_dirs/sweep --tables grids

Each run is identified from the config dumped in its work dir (init, size, schedule, lr, wd,
drop path, variant). Only runs evaluated after their last epoch enter the numbers; the
others are listed with their status (running, stopped, diverged, ...).
"""
import argparse
import sys

from mmvitdet.analysis.results_report import (SECTIONS, build_tables, render_tables,
                                              runs_from_dirs, write_tables)
from mmvitdet.analysis.table_format import FORMATS


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('work_dirs', nargs='+',
                        help="work dirs, or folders holding them (searched 4 levels deep)")
    parser.add_argument('--format', choices=FORMATS, default='md', help='stdout format')
    parser.add_argument('--out-dir', help='also write every table as .md, .csv and .tex here')
    parser.add_argument('--tables', nargs='+', choices=SECTIONS, default=list(SECTIONS))
    parser.add_argument('--stale-hours', type=float, default=2.0,
                        help='an unfinished run unchanged this long is reported as stopped')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    try:
        runs = runs_from_dirs(args.work_dirs, args.stale_hours)
    except FileNotFoundError as e:
        sys.exit(f'results_table: {e}')
    tables = build_tables(runs, args.tables)
    print(render_tables(tables, args.format))
    for run in runs:
        for note in run.notes:
            print(f'note: {run.name}: {note}', file=sys.stderr)
    if args.out_dir:
        paths = write_tables(tables, args.out_dir)
        print(f'wrote {len(paths)} files to {args.out_dir}', file=sys.stderr)


if __name__ == '__main__':
    from mmvitdet.utils.cli_errors import run_cli
    run_cli(main)  # mmvitdet's input errors: one line on stderr, exit status 2
