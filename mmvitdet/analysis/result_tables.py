"""The paper's tables from collected runs: main table (RQ1/RQ2), schedules, repeats, run status."""
from typing import Dict, List, Optional, Tuple

from .groups import RunGroup, format_mean_std
from .paper_results import CITATION, paper_by_schedule, paper_main
from .run_identity import INIT_LABELS, INITS, NEW_INITS
from .runs import Run
from .table_format import Table

MAIN_COLUMNS = (('box', 'B'), ('box', 'L'), ('mask', 'B'), ('mask', 'L'))
METRIC_NAMES = {'box': 'APbox', 'mask': 'APmask'}
NA = '-'


def paper_design(group: RunGroup) -> bool:
    """The paper's detector and protocol (Mask R-CNN, fully fine-tuned), epoch schedule: what the main table
    compares."""
    ident = group.identity
    return ident.variant == '' and ident.by_epoch and ident.setting == ''


def best_group(groups: List[RunGroup]) -> Optional[RunGroup]:
    """Highest mean APbox; ties go to the config with more runs."""
    scored = [g for g in groups if g.mean('box') is not None]
    return max(scored, key=lambda g: (g.mean('box'), g.n), default=None)


def best_by(groups: List[RunGroup], key) -> Dict[Tuple, RunGroup]:
    """Best group per ``key(group)`` among the paper-design groups."""
    buckets: Dict[Tuple, List[RunGroup]] = {}
    for g in groups:
        if paper_design(g):
            buckets.setdefault(key(g), []).append(g)
    return {k: best_group(v) for k, v in buckets.items() if best_group(v) is not None}


def _num(value: Optional[float]) -> str:
    return NA if value is None else f'{value:.1f}'


def _delta(ours: Optional[float], paper: Optional[float]) -> str:
    return NA if ours is None or paper is None else f'{ours - paper:+.1f}'


def _init_order(inits) -> List[str]:
    extra = sorted(set(inits) - set(INITS))
    return [i for i in INITS] + extra


def main_table(groups: List[RunGroup]) -> Table:
    """APbox and APmask per init x size (best schedule per init), ours beside the paper's."""
    best = best_by(groups, lambda g: (g.identity.init, g.identity.size))
    headers = ['init']
    for metric, size in MAIN_COLUMNS:
        name = f'{METRIC_NAMES[metric]} {size}'
        headers += [name, f'{name} paper', f'{name} Δ']
    headers += ['run B', 'run L']
    table = Table('Main results: best schedule per init', headers)
    beyond = []  # rows of inits the paper did not study
    for init in _init_order({g.identity.init for g in groups}):
        row = [INIT_LABELS.get(init, init)]
        has_any = False
        for metric, size in MAIN_COLUMNS:
            group = best.get((init, size))
            ours = group.mean(metric) if group else None
            paper = paper_main(init, metric, size)
            has_any |= ours is not None or paper is not None
            row += [format_mean_std(group, metric) or NA, _num(paper), _delta(ours, paper)]
        for size in ('B', 'L'):
            group = best.get((init, size))
            row.append(group.label if group else NA)
        if has_any:
            table.rows.append(row)
            if init in NEW_INITS:
                beyond.append(row[0])
    table.notes = [
        'ours: finished runs of the paper\'s detector; per init and size the config with the '
        'highest mean APbox (mean ± std over repeats of one config)',
        f'paper: {CITATION}, Mask R-CNN, COCO val2017',
    ]
    if beyond:
        table.notes.append(f'{", ".join(beyond)}: beyond the paper (no published numbers, '
                           'paper columns "-"); trained with the same detector and protocol')
    return table


SETTINGS = (('full', 'mask-rcnn'), ('frozen', 'mask-rcnn'), ('full', 'cascade-mask-rcnn'),
            ('frozen', 'cascade-mask-rcnn'))


def best_by_setting(groups: List[RunGroup]) -> Dict[Tuple, RunGroup]:
    """(init, size, protocol, detector) -> the best finished group of the paper's design in that setting."""
    buckets: Dict[Tuple, List[RunGroup]] = {}
    for g in groups:
        ident = g.identity
        if ident.variant == '' and ident.by_epoch and (ident.protocol, ident.detector) in SETTINGS:
            buckets.setdefault((ident.init, ident.size, ident.protocol, ident.detector), []).append(g)
    return {k: best_group(v) for k, v in buckets.items() if best_group(v) is not None}


def protocols_table(groups: List[RunGroup]) -> Table:
    """Per init x size, fine-tuned vs frozen backbone and Mask R-CNN vs Cascade: AP and the gaps.

    The frozen - fine-tuned gap says how detection-ready the features are as released."""
    best = best_by_setting(groups)
    table = Table('Protocols and detectors: fine-tuned vs frozen backbone, Mask R-CNN vs Cascade',
                  ['init', 'size', 'APbox fine-tuned', 'APbox frozen', 'frozen Δ', 'APbox Cascade',
                   'Cascade Δ', 'APbox Cascade frozen', 'APmask fine-tuned', 'APmask frozen', 'APmask Cascade'])
    order = _init_order({k[0] for k in best})
    keys = sorted({k[:2] for k in best}, key=lambda k: (order.index(k[0]), k[1]))
    for init, size in keys:
        full, frozen, cascade, cascade_frozen = (best.get((init, size) + s) for s in SETTINGS)
        if frozen is None and cascade is None and cascade_frozen is None:
            continue  # fine-tuned Mask R-CNN only: the main table has it

        def ap(group, metric='box'):
            return group.mean(metric) if group else None
        table.rows.append([INIT_LABELS.get(init, init), size, _num(ap(full)), _num(ap(frozen)),
                           _delta(ap(frozen), ap(full)), _num(ap(cascade)), _delta(ap(cascade), ap(full)),
                           _num(ap(cascade_frozen)), _num(ap(full, 'mask')), _num(ap(frozen, 'mask')),
                           _num(ap(cascade, 'mask'))])
    if not table.rows:
        table.rows.append(['(no frozen or Cascade run has finished)'] + [''] * 10)
    table.notes = ['per init, size, protocol and detector the best finished config (mean over repeats); '
                   'frozen Δ = frozen - fine-tuned Mask R-CNN, Cascade Δ = Cascade - Mask R-CNN, both fine-tuned',
                   'reference (detectron2 ViTDet, MAE init, APbox Mask R-CNN -> Cascade): ViT-B 51.6 -> 54.0, '
                   'ViT-L 55.5 -> 57.6, ViT-H 56.7 -> 58.7']
    return table


def schedule_table(groups: List[RunGroup]) -> Table:
    """Best config per init x size x schedule length, with the paper's numbers where published."""
    best = best_by(groups, lambda g: (g.identity.init, g.identity.size, g.identity.schedule))
    table = Table('Results by schedule length',
                  ['init', 'size', 'epochs', 'APbox', 'APbox paper', 'APbox Δ', 'APmask',
                   'APmask paper', 'APmask Δ', 'config'])
    order = {init: i for i, init in enumerate(_init_order({k[0] for k in best}))}
    for (init, size, epochs), group in sorted(best.items(),
                                              key=lambda kv: (order[kv[0][0]], kv[0][1:])):
        row = [INIT_LABELS.get(init, init), size, str(epochs)]
        for metric in ('box', 'mask'):
            paper = paper_by_schedule(init, size, epochs, metric)
            row += [format_mean_std(group, metric) or NA, _num(paper),
                    _delta(group.mean(metric), paper)]
        row.append(group.label)
        table.rows.append(row)
    table.notes = [f'paper: {CITATION} (MAE ViT-B at 25/50/100 epochs)']
    return table


def repeats_table(groups: List[RunGroup]) -> Table:
    """Configs run more than once: mean, standard deviation, range and the seeds."""
    table = Table('Repeats of one config (seed variation)',
                  ['init', 'size', 'config', 'n', 'APbox mean', 'APbox std', 'APbox range',
                   'APmask mean', 'APmask std', 'seeds'])
    for g in groups:
        if g.n < 2:
            continue
        box, mask = g.values('box'), g.values('mask')
        row = [INIT_LABELS.get(g.identity.init, g.identity.init), g.identity.size, g.label,
               str(g.n), _num(g.mean('box')), f'{g.std("box"):.2f}',
               f'{min(box):.1f}-{max(box):.1f}', _num(g.mean('mask')),
               f'{g.std("mask"):.2f}' if len(mask) > 1 else NA,
               ' '.join(str(r.seed) for r in g.runs)]
        table.rows.append(row)
    if not table.rows:
        table.rows.append(['(no config has finished more than once)'] + [''] * 9)
    table.notes = ['std: sample standard deviation (n - 1). Two configs differ beyond seed '
                   'noise when |Δ mean| > 2·sqrt(std1²/n1 + std2²/n2).']
    return table


def all_runs_table(groups: List[RunGroup], runs: List[Run]) -> Table:
    """Every finished config (ablations included), then every run that is not finished."""
    table = Table('All runs', ['run(s)', 'init', 'size', 'config', 'status', 'APbox', 'APmask'])
    for g in groups:
        table.rows.append([' '.join(r.name for r in g.runs),
                           INIT_LABELS.get(g.identity.init, g.identity.init), g.identity.size,
                           g.label, 'finished', format_mean_std(g, 'box') or NA,
                           format_mean_std(g, 'mask') or NA])
    for run in runs:
        if run.status == 'finished' and run.identity is not None:
            continue
        ident = run.identity
        table.rows.append([
            run.name, INIT_LABELS.get(ident.init, ident.init) if ident else NA,
            ident.size if ident else NA,
            RunGroup(ident, [run]).label if ident else NA,
            f'{run.status}: {run.detail}', NA, NA])
    table.notes = ['only finished runs (evaluated after their last epoch) enter the result '
                   'tables; the others are listed here with their status']
    return table
