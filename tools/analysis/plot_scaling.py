"""AP of ViT-B and ViT-L per init ("masking-based inits scale better"), from mmengine work dirs.

    python tools/analysis/plot_scaling.py work_dirs/ --metric box --out results/figures/scaling_box

Writes OUT.png and OUT.pdf: per init the best finished config of each size (solid, with
our B -> L gain), the paper's numbers dashed.
"""
import argparse
import sys

from mmvitdet.analysis.figures import save_figure, scaling_figure
from mmvitdet.analysis.groups import group_runs
from mmvitdet.analysis.results_report import runs_from_dirs


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('work_dirs', nargs='+', help='work dirs, or folders holding them')
    parser.add_argument('--out', required=True, help='output path without extension')
    parser.add_argument('--metric', choices=['box', 'mask'], default='box')
    parser.add_argument('--no-paper', action='store_true', help="omit the paper's numbers")
    parser.add_argument('--stale-hours', type=float, default=2.0)
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    try:
        runs = runs_from_dirs(args.work_dirs, args.stale_hours)
    except FileNotFoundError as e:
        sys.exit(f'plot_scaling: {e}')
    fig = scaling_figure(group_runs(runs), args.metric, paper=not args.no_paper)
    if fig is None:
        sys.exit(f'plot_scaling: no finished ViT-B or ViT-L run of the paper\'s detector among '
                 f'{len(runs)} run(s); see tools/analysis/results_table.py for their status')
    for path in save_figure(fig, args.out):
        print(path)


if __name__ == '__main__':
    from mmvitdet.utils.cli_errors import run_cli
    run_cli(main)  # mmvitdet's input errors: one line on stderr, exit status 2
