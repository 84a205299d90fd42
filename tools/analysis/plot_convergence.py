"""AP versus training epochs per init (the paper's Figure 2), from mmengine work dirs.

    python tools/analysis/plot_convergence.py work_dirs/ --size B --metric box \
        --out results/figures/convergence_vit-b_box

Writes OUT.png and OUT.pdf. Points: final AP of each schedule length (best config per
length, finished runs only); thin lines: per-epoch validation of the longest run per init;
dashed hollow markers: the paper's numbers where published.
"""
from mmvitdet.analysis.figure_cli import figure_parser, run_figure_tool
from mmvitdet.analysis.figures import convergence_figure


def main(argv=None):
    parser = figure_parser(__doc__)
    parser.add_argument('--size', default='B', help='model size: B, L, ...')
    parser.add_argument('--no-per-epoch', action='store_true', help='omit per-epoch curves')
    parser.add_argument('--no-paper', action='store_true', help="omit the paper's points")
    run_figure_tool('plot_convergence', parser,
                    lambda groups, a: convergence_figure(groups, a.size, a.metric, per_epoch=not a.no_per_epoch,
                                                         paper=not a.no_paper),
                    lambda a: f"finished run of the paper's detector with ViT-{a.size}", argv)


if __name__ == '__main__':
    from mmvitdet.utils.cli_errors import run_cli
    run_cli(main)  # mmvitdet's input errors: one line on stderr, exit status 2
