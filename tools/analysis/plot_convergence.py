"""AP versus training epochs per init (the paper's Figure 2), from mmengine work dirs.

    python tools/analysis/plot_convergence.py work_dirs/ --size B --metric box \
        --out results/figures/convergence_vit-b_box

Writes OUT.png and OUT.pdf. Points: final AP of each schedule length (best config per
length, finished runs only); thin lines: per-epoch validation of the longest run per init;
dashed hollow markers: the paper's numbers where published.
"""
import argparse
import sys

from mmvitdet.analysis.figures import convergence_figure, save_figure
from mmvitdet.analysis.groups import group_runs
from mmvitdet.analysis.results_report import runs_from_dirs


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('work_dirs', nargs='+', help='work dirs, or folders holding them')
    parser.add_argument('--out', required=True, help='output path without extension')
    parser.add_argument('--size', default='B', help='model size: B, L, ...')
    parser.add_argument('--metric', choices=['box', 'mask'], default='box')
    parser.add_argument('--no-per-epoch', action='store_true', help='omit per-epoch curves')
    parser.add_argument('--no-paper', action='store_true', help="omit the paper's points")
    parser.add_argument('--stale-hours', type=float, default=2.0)
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    try:
        runs = runs_from_dirs(args.work_dirs, args.stale_hours)
    except FileNotFoundError as e:
        sys.exit(f'plot_convergence: {e}')
    fig = convergence_figure(group_runs(runs), args.size, args.metric,
                             per_epoch=not args.no_per_epoch, paper=not args.no_paper)
    if fig is None:
        sys.exit(f'plot_convergence: no finished run of the paper\'s detector with ViT-{args.size} '
                 f'among {len(runs)} run(s); see tools/analysis/results_table.py for their status')
    for path in save_figure(fig, args.out):
        print(path)


if __name__ == '__main__':
    from mmvitdet.utils.cli_errors import run_cli
    run_cli(main)  # mmvitdet's input errors: one line on stderr, exit status 2
