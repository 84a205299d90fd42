"""Fine-tuned vs frozen backbone (and Mask R-CNN vs Cascade) per init, from mmengine work dirs.

    python tools/analysis/plot_protocols.py work_dirs/ --size B --metric box --out results/figures/protocols_box

Writes OUT.png and OUT.pdf: per init the best finished config of each protocol x detector at that size, with the
frozen - fine-tuned gap (how detection-ready the features are as released).
"""
from mmvitdet.analysis.figure_cli import figure_parser, run_figure_tool
from mmvitdet.analysis.figures import protocols_figure


def main(argv=None):
    parser = figure_parser(__doc__)
    parser.add_argument('--size', default='B', help='ViT size as the tables name it (T, S, B, L, H, ...)')
    run_figure_tool('plot_protocols', parser, lambda groups, a: protocols_figure(groups, a.size, a.metric),
                    lambda a: f'init with a finished frozen or Cascade run at ViT-{a.size}', argv)


if __name__ == '__main__':
    from mmvitdet.utils.cli_errors import run_cli
    run_cli(main)  # mmvitdet's input errors: one line on stderr, exit status 2
