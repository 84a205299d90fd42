"""The study's results: main table, convergence figures and a summary, from its work dirs.

Everything is read back from the fine-tuning work dirs with mmvitdet.analysis (the same
collection, grouping and mean ± std as tools/analysis/results_table.py, whose full set of
tables is written beside), so the numbers are the logged CocoMetric values.
"""
import os
import os.path as osp
import platform
import re
import subprocess
import sys
from typing import Dict, List

from ..analysis.figures import convergence_figure, protocols_figure, save_figure
from ..analysis.groups import format_mean_std, group_runs
from ..analysis.result_tables import best_by_setting
from ..analysis.results_report import runs_from_dirs
from ..analysis.run_identity import INIT_LABELS
from ..analysis.table_format import FORMATS, Table
from .plan import INITS, PRETRAIN, StudyPlan

# Study inits as the analysis names them (from the config names) and as this study labels them.
ANALYSIS_INIT = {'beit-simmim': 'beit'}
LABELS = {
    'supervised': 'supervised (shapes, multi-label)',
    'random': 'random',
    'mocov3': 'MoCo v3',
    'beit-simmim': 'BEiT arch., SimMIM pixel target',
    'mae': 'MAE',
}
LOAD_LINE = re.compile(r'Loaded ViT weights from (\S+) \(format: (\w+)\): (.*)')


def _analysis_init(init: str) -> str:
    return ANALYSIS_INIT.get(init, init)


def main_table(plan: StudyPlan, groups) -> Table:
    """One row per init; with the frozen track, its AP beside the fine-tuned one and the gap."""
    best = {(init, protocol): g for (init, _, protocol, detector), g in best_by_setting(groups).items()
            if detector == 'mask-rcnn'}
    frozen = 'frozen' in plan.protocols
    headers = ['init', 'pre-training', 'APbox', 'APmask', 'runs']
    if frozen:
        headers = ['init', 'pre-training', 'APbox fine-tuned', 'APbox frozen', 'frozen Δ', 'APmask fine-tuned',
                   'APmask frozen', 'runs']
    table = Table(f'Mini study: Mask R-CNN ViT-T on shapes, {plan.finetune_epochs} epochs '
                  'from each init' + (', fine-tuned and with the backbone frozen' if frozen else ''), headers)
    for init in INITS:
        group = best.get((_analysis_init(init), 'full'))
        pre = ('-' if init == 'random' else
               f'{PRETRAIN[init][1]}, {plan.pretrain_iters[init]} it x 64')
        runs = str(group.n) if group else '0'
        if not frozen:
            table.rows.append([LABELS[init], pre, format_mean_std(group, 'box') or '-',
                               format_mean_std(group, 'mask') or '-', runs])
            continue
        cold = best.get((_analysis_init(init), 'frozen'))
        gap = (f'{cold.mean("box") - group.mean("box"):+.1f}' if group and cold and group.mean('box') is not None
               and cold.mean('box') is not None else '-')
        table.rows.append([LABELS[init], pre, format_mean_std(group, 'box') or '-',
                           format_mean_std(cold, 'box') or '-', gap, format_mean_std(group, 'mask') or '-',
                           format_mean_std(cold, 'mask') or '-', f'{runs} + {cold.n if cold else 0}'])
    if frozen:
        table.notes.append('frozen: the backbone (patch embedding, positions, blocks) is not trained, only the '
                           'resolution adapter, FPN and heads, with the same schedule and hyper-parameters; '
                           'frozen Δ = frozen - fine-tuned APbox; runs = fine-tuned + frozen')
    table.notes += [
        'AP x 100 on the shapes val images (mmdet CocoMetric), after the last epoch; '
        'mean ± sample std over fine-tuning seeds where runs > 1',
        'every pre-training: the same idle-CPU wall-clock budget on '
        f"{plan.stages[0].spec['num_unlabeled']} unlabeled 192 px images (112 px inputs), by "
        'mmpretrain 1.2; one pre-training per method, shared by the seeds',
    ]
    return table


def write_table(table: Table, out_dir: str) -> List[str]:
    os.makedirs(out_dir, exist_ok=True)
    paths = []
    for fmt in FORMATS:
        path = osp.join(out_dir, f'mini_study_main.{fmt}')
        with open(path, 'w') as f:
            f.write(table.render(fmt))
        paths.append(path)
    return paths


def write_figures(groups, out_dir: str) -> List[str]:
    """AP vs epoch per init (box and mask; fine-tuned runs), legend in this study's labels; with frozen runs,
    fine-tuned vs frozen per init (``protocols_{box,mask}``)."""
    relabel = {INIT_LABELS.get(_analysis_init(i), i): LABELS[i] for i in INITS}
    paths = []
    for metric in ('box', 'mask'):
        fig = protocols_figure(groups, size='T', metric=metric)
        if fig is not None:
            ax = fig.axes[0]
            ax.set_xticks(ax.get_xticks())
            ax.set_xticklabels([relabel.get(t.get_text(), t.get_text()).split(' (')[0].replace(' arch.,', ',')
                                for t in ax.get_xticklabels()], rotation=30, ha='right')
            paths += save_figure(fig, osp.join(out_dir, f'protocols_{metric}'))
    groups = [g for g in groups if g.identity.protocol == 'full']
    for metric in ('box', 'mask'):
        fig = convergence_figure(groups, size='T', metric=metric, per_epoch=True, paper=False)
        if fig is None:
            continue
        # every validated epoch gets a tick (the analysis ticks schedule lengths only)
        epochs = sorted({e for g in groups for r in g.runs for e, *_ in r.curve if e > 0})
        for ax in fig.axes:
            if epochs:
                ax.set_xticks(epochs)
                ax.set_xticklabels([str(e) for e in epochs])
            legend = ax.get_legend()
            for text in legend.get_texts() if legend else []:
                text.set_text(relabel.get(text.get_text(), text.get_text()))
        paths += save_figure(fig, osp.join(out_dir, f'convergence_{metric}'))
    return paths


def load_reports(plan: StudyPlan) -> Dict[str, str]:
    """Per fine-tuning stage, the load report's summary line from its log."""
    found = {}
    for stage in plan.stages:
        if stage.kind != 'finetune' or stage.spec['init'] == 'random':
            continue
        log = osp.join(plan.out, 'logs', f'{stage.name}.log')
        if osp.isfile(log):
            with open(log, errors='replace') as f:
                lines = [m for m in map(LOAD_LINE.search, f) if m]
            if lines:
                found[stage.name] = f'{lines[-1].group(1)}: {lines[-1].group(3)}'
    return found


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        with open('/proc/cpuinfo') as f:
            names = [ln.split(':', 1)[1].strip() for ln in f if ln.startswith('model name')]
        cpu = names[0] if names else cpu
    except OSError:
        pass
    return f'{cpu}, {os.cpu_count()} cores, {platform.system()} {platform.release()}'


def write_report(plan: StudyPlan, repo: str, command: str, markers: Dict[str, Dict]) -> str:
    """Tables, figures and ``<out>/summary.md``; returns the summary's path.

    ``markers``: the finished stages' markers (wall_seconds, threads, load_average).
    """
    finetune_root = osp.join(plan.out, 'finetune')
    runs = runs_from_dirs([finetune_root])
    groups = group_runs(runs)
    tables_dir, figures_dir = osp.join(plan.out, 'tables'), osp.join(plan.out, 'figures')
    table = main_table(plan, groups)
    write_table(table, tables_dir)
    figures = write_figures(groups, figures_dir)
    # The project's full result tables (main, schedule, repeats, run status), as its CLI writes them.
    subprocess.run([sys.executable, osp.join(repo, 'tools', 'analysis', 'results_table.py'),
                    finetune_root, '--out-dir', osp.join(tables_dir, 'analysis')],
                   cwd=repo, check=True, stdout=subprocess.DEVNULL)
    total = sum(m['wall_seconds'] for m in markers.values())
    lines = [
        '# Mini study', '',
        f'Command: `{command}`', '',
        f'Machine: {machine()}', '',
        f'Wall time of all stages: {total / 60:.1f} min (plan: {plan.est_seconds / 60:.1f} min '
        f'on an idle machine)', '',
        table.render('md'), '',
        'Figures: ' + ', '.join(osp.relpath(p, plan.out) for p in figures if p.endswith('.png')),
        '', '## Weights reaching the detector (load reports)', '',
    ]
    lines += [f'- {name}: {text}' for name, text in load_reports(plan).items()]
    lines += ['', '## Stage wall times', '',
              '| stage | wall min | idle estimate min | threads | load average at the end |',
              '|---|---|---|---|---|']
    lines += [f"| {name} | {m['wall_seconds'] / 60:.1f} | {m.get('est_idle_seconds', 0) / 60:.1f} "
              f"| {m.get('threads', '?')} | {m.get('load_average', '?')} |"
              for name, m in markers.items()]
    path = osp.join(plan.out, 'summary.md')
    with open(path + '.tmp', 'w') as f:
        f.write('\n'.join(lines) + '\n')
    os.replace(path + '.tmp', path)
    return path
