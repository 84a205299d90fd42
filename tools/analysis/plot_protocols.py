"""Fine-tuned vs frozen backbone (and Mask R-CNN vs Cascade) per init, from mmengine work dirs.

    python tools/analysis/plot_protocols.py work_dirs/ --size B --metric box --out results/figures/protocols_box

Writes OUT.png and OUT.pdf: per init the best finished config of each protocol x detector at that size, with the
frozen - fine-tuned gap (how detection-ready the features are as released).
"""
import argparse
import sys

from mmvitdet.analysis.figures import protocols_figure, save_figure
from mmvitdet.analysis.groups import group_runs
from mmvitdet.analysis.results_report import runs_from_dirs


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('work_dirs', nargs='+', help='work dirs, or folders holding them')
    parser.add_argument('--out', required=True, help='output path without extension')
    parser.add_argument('--size', default='B', help='ViT size as the tables name it (T, S, B, L, H, ...)')
    parser.add_argument('--metric', choices=['box', 'mask'], default='box')
    parser.add_argument('--stale-hours', type=float, default=2.0)
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    try:
        runs = runs_from_dirs(args.work_dirs, args.stale_hours)
    except FileNotFoundError as e:
        sys.exit(f'plot_protocols: {e}')
    fig = protocols_figure(group_runs(runs), args.size, args.metric)
    if fig is None:
        sys.exit(f'plot_protocols: no init with a finished frozen or Cascade run at ViT-{args.size} among '
                 f'{len(runs)} run(s); see tools/analysis/results_table.py for their status')
    for path in save_figure(fig, args.out):
        print(path)


if __name__ == '__main__':
    from mmvitdet.utils.cli_errors import run_cli
    run_cli(main)  # mmvitdet's input errors: one line on stderr, exit status 2
