"""AP of ViT-B and ViT-L per init ("masking-based inits scale better"), from mmengine work dirs.

    python tools/analysis/plot_scaling.py work_dirs/ --metric box --out results/figures/scaling_box

Writes OUT.png and OUT.pdf: per init the best finished config of each size (solid, with
our B -> L gain), the paper's numbers dashed.
"""
from mmvitdet.analysis.figure_cli import figure_parser, run_figure_tool
from mmvitdet.analysis.figures import scaling_figure


def main(argv=None):
    parser = figure_parser(__doc__)
    parser.add_argument('--no-paper', action='store_true', help="omit the paper's numbers")
    run_figure_tool('plot_scaling', parser, lambda groups, a: scaling_figure(groups, a.metric, paper=not a.no_paper),
                    lambda a: "finished ViT-B or ViT-L run of the paper's detector", argv)


if __name__ == '__main__':
    from mmvitdet.utils.cli_errors import run_cli
    run_cli(main)  # mmvitdet's input errors: one line on stderr, exit status 2
