"""The paper's figures from collected runs: convergence (AP vs epochs per init), scaling (B -> L) and protocols
(fine-tuned vs frozen backbone, Mask R-CNN vs Cascade, per init).

Sized for one column of a two-column paper (3.3 in wide, 7-8 pt text); saved as PNG
(300 dpi) and PDF. Uses matplotlib's object API with the Agg canvas, so no display and no
global pyplot state are involved.
"""
import os
import os.path as osp
from typing import Dict, List, Optional, Tuple

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from .groups import RunGroup
from .paper_results import BY_SCHEDULE, MAIN
from .result_tables import METRIC_NAMES, SETTINGS, best_by, best_by_setting
from .run_identity import INIT_LABELS, INITS

COLUMN_WIDTH_IN = 3.3
COLORS = {'supervised': '#7f7f7f', 'random': '#1f77b4', 'mocov3': '#2ca02c', 'beit': '#ff7f0e',
          'mae': '#d62728',
          # beyond the paper
          'dino': '#8c564b', 'ibot': '#e377c2', 'dinov2': '#9467bd', 'clip': '#17becf',
          'siglip': '#bcbd22', 'sam': '#393b79',
          # the 2025-26 releases (matplotlib's tab20b: darker, distinct from the above)
          'dinov3': '#5254a3', 'eva02': '#637939', 'pe': '#8c6d31', 'aimv2': '#843c39', 'siglip2': '#7b4173'}
OTHER_COLOR = '#000000'  # an init without its own colour
STYLE = {'font.size': 7, 'axes.labelsize': 7, 'legend.fontsize': 6, 'xtick.labelsize': 6,
         'ytick.labelsize': 6, 'lines.linewidth': 1.2, 'lines.markersize': 3.5}


def _color(init: str) -> str:
    return COLORS.get(init, OTHER_COLOR)


def _new_figure(height_in: float = 2.4) -> Tuple[Figure, object]:
    import matplotlib
    matplotlib.rcParams.update(STYLE)
    fig = Figure(figsize=(COLUMN_WIDTH_IN, height_in), constrained_layout=True)
    FigureCanvasAgg(fig)
    return fig, fig.add_subplot(1, 1, 1)


def save_figure(fig: Figure, out_prefix: str) -> List[str]:
    """``out_prefix``.png (300 dpi) and .pdf; returns the paths."""
    os.makedirs(osp.dirname(osp.abspath(out_prefix)), exist_ok=True)
    paths = [f'{out_prefix}.png', f'{out_prefix}.pdf']
    fig.savefig(paths[0], dpi=300)
    fig.savefig(paths[1])
    return paths


def _inits(keys) -> List[str]:
    present = set(keys)
    return [i for i in INITS if i in present] + sorted(present - set(INITS))


def convergence_figure(groups: List[RunGroup], size: str = 'B', metric: str = 'box',
                       per_epoch: bool = True, paper: bool = True) -> Optional[Figure]:
    """AP vs training epochs per init at one model size (the paper's Figure 2).

    Solid: the final AP of each schedule length (best config per length; error bars are
    the std over repeats). Thin: per-epoch validation of the longest finished run per
    init. Dashed, hollow: the paper's numbers where published. None when nothing to plot.
    """
    best = best_by([g for g in groups if g.identity.size == size],
                   lambda g: (g.identity.init, g.identity.schedule))
    by_init: Dict[str, List[RunGroup]] = {}
    for (init, _), group in sorted(best.items(), key=lambda kv: kv[0][1]):
        by_init.setdefault(init, []).append(group)
    paper_pts = {init: pts for (init, psize), pts in BY_SCHEDULE.items() if psize == size} if paper else {}
    if not by_init:
        return None
    fig, ax = _new_figure()
    ticks = set()
    legend = []
    for init in _inits(by_init):
        color, label = _color(init), INIT_LABELS.get(init, init)
        pts = by_init[init]
        xs = [g.identity.schedule for g in pts]
        ys = [g.mean(metric) for g in pts]
        errs = [g.std(metric) or 0.0 for g in pts]
        ticks.update(xs)
        legend.append((ax.errorbar(xs, ys, yerr=errs if any(errs) else None, color=color,
                                   marker='o', capsize=1.5, zorder=3), label))
        if per_epoch:
            curve = [(e, v) for e, *vals in pts[-1].runs[0].curve
                     for v in [vals[0] if metric == 'box' else vals[1]] if v is not None]
            if len(curve) > 1:
                ax.plot([e for e, _ in curve], [v for _, v in curve], color=color, lw=0.6,
                        alpha=0.6, zorder=2)
    for init, sched in paper_pts.items():
        xs = sorted(sched)
        line, = ax.plot(xs, [sched[x][metric] for x in xs], color=_color(init), ls='--',
                        marker='o', mfc='none', lw=0.8, zorder=2)
        legend.append((line, f'{INIT_LABELS.get(init, init)} (paper)'))
        ticks.update(xs)
    ax.set_xscale('log', base=2)
    ticks = sorted(t for t in ticks if t > 0)
    ax.set_xticks(ticks)
    ax.set_xticklabels([str(t) for t in ticks])
    ax.minorticks_off()
    ax.set_xlabel('training epochs')
    ax.set_ylabel(f'{METRIC_NAMES[metric]} (ViT-{size})')
    ax.grid(alpha=0.3, lw=0.4)
    ax.legend(*zip(*legend), frameon=False, loc='lower right')
    return fig


def scaling_figure(groups: List[RunGroup], metric: str = 'box',
                   paper: bool = True) -> Optional[Figure]:
    """AP of ViT-B and ViT-L per init (best config each), ours solid, the paper's dashed.

    The number at the right is our gain from B to L. None when no ViT-B or ViT-L run of
    the paper's detector has finished.
    """
    best = best_by(groups, lambda g: (g.identity.init, g.identity.size))
    inits = _inits({init for init, size in best if size in ('B', 'L')})
    if not inits:
        return None
    fig, ax = _new_figure(height_in=2.6)
    for init in inits:
        color, label = _color(init), INIT_LABELS.get(init, init)
        pts = [(x, best[(init, s)].mean(metric)) for x, s in enumerate(('B', 'L'))
               if (init, s) in best]
        ax.plot([x for x, _ in pts], [y for _, y in pts], color=color, marker='o', label=label)
        if len(pts) == 2:
            ax.annotate(f'{pts[1][1] - pts[0][1]:+.1f}', (1, pts[1][1]), xytext=(4, 0),
                        textcoords='offset points', va='center', fontsize=6, color=color)
        if paper and init in MAIN:
            ax.plot([0, 1], [MAIN[init][(metric, 'B')], MAIN[init][(metric, 'L')]],
                    color=color, ls='--', marker='o', mfc='none', lw=0.8, alpha=0.7)
    ax.set_xticks([0, 1])
    ax.set_xticklabels(['ViT-B', 'ViT-L'])
    ax.set_xlim(-0.3, 1.45)
    ax.set_ylabel(METRIC_NAMES[metric])
    ax.grid(alpha=0.3, lw=0.4)
    handles, labels = ax.get_legend_handles_labels()
    if paper:
        from matplotlib.lines import Line2D
        handles.append(Line2D([], [], color='k', ls='--', marker='o', mfc='none', lw=0.8))
        labels.append('paper')
    ax.legend(handles, labels, frameon=False, loc='upper left')
    return fig


SETTING_MARKERS = {('full', 'mask-rcnn'): ('o', 'fine-tuned'), ('frozen', 'mask-rcnn'): ('v', 'frozen'),
                   ('full', 'cascade-mask-rcnn'): ('s', 'Cascade'),
                   ('frozen', 'cascade-mask-rcnn'): ('D', 'Cascade, frozen')}


def protocols_figure(groups: List[RunGroup], size: str = 'B', metric: str = 'box') -> Optional[Figure]:
    """Per init at one size, AP of each protocol x detector that finished (best config each): a column per init,
    a marker per setting, a line from fine-tuned down to frozen with the gap written beside it ("how detection-ready
    the features are as released"). None when no init has a frozen or Cascade run besides its fine-tuned one."""
    best = {k: v for k, v in best_by_setting(groups).items() if k[1] == size}
    inits = _inits({init for init, _, protocol, detector in best if (protocol, detector) != SETTINGS[0]})
    if not inits:
        return None
    fig, ax = _new_figure(height_in=2.4)
    used = set()
    for x, init in enumerate(inits):
        color = _color(init)
        ap = {(p, d): best[(init, size, p, d)].mean(metric) for p, d in SETTINGS if (init, size, p, d) in best}
        full, frozen = ap.get(SETTINGS[0]), ap.get(SETTINGS[1])
        if full is not None and frozen is not None:
            ax.plot([x, x], [frozen, full], color=color, lw=0.8)
            ax.annotate(f'{frozen - full:+.1f}', (x, (full + frozen) / 2), xytext=(4, 0), textcoords='offset points',
                        va='center', fontsize=6, color=color)
        for setting, value in ap.items():
            if value is not None:
                marker, _ = SETTING_MARKERS[setting]
                ax.plot([x], [value], marker=marker, color=color, ls='none', mfc='none' if 'frozen' in setting
                        else color)
                used.add(setting)
    ax.set_xticks(range(len(inits)))
    ax.set_xticklabels([INIT_LABELS.get(i, i) for i in inits], rotation=30, ha='right')
    ax.set_xlim(-0.5, len(inits) - 0.2)
    ax.set_ylabel(f'{METRIC_NAMES[metric]}, ViT-{size}')
    ax.grid(alpha=0.3, lw=0.4, axis='y')
    from matplotlib.lines import Line2D
    legend = [(Line2D([], [], marker=SETTING_MARKERS[s][0], color='k', ls='none', mfc='none' if 'frozen' in s[0]
                      else 'k'), SETTING_MARKERS[s][1]) for s in SETTINGS if s in used]
    ax.legend(*zip(*legend), frameon=False, loc='best')
    return fig
