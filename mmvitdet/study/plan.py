"""What the mini study runs: stages, their iteration counts and their estimated cost.

The budget is a number of minutes on an idle 2-core CPU, turned into iteration counts with the
seconds per iteration measured for each stage (``SECONDS_PER_ITER``), so that one command
always runs the same iterations (and can resume) whatever the machine's load.
"""
import math
import os.path as osp
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple

PRETRAIN_CONFIG_DIR = 'configs/mini_study/pretrain'
FINETUNE_CONFIG_DIR = 'configs/mini_study'
QUICKSTART = 'configs/quickstart/mask-rcnn_vit-t-random_fpn_lsj-10e_shapes.py'

# Pre-training methods: name -> (mmpretrain config, what it is).
PRETRAIN = {
    'supervised': ('supervised-multilabel_vit-t-p16_shapes.py',
                   'supervised: mmpretrain ImageClassifier, multi-label "which shapes"'),
    'mocov3': ('mocov3_vit-t-p16_shapes.py', 'MoCo v3: mmpretrain MoCoV3'),
    'beit-simmim': ('beit-simmim_vit-t-p16_shapes.py',
                    'BEiT architecture, SimMIM pixel target: mmpretrain SimMIM'),
    'mae': ('mae_vit-t-p16_shapes.py', 'MAE: mmpretrain MAE'),
}
# Detector inits in the paper's row order; None = random (the quickstart config).
INITS = ('supervised', 'random', 'mocov3', 'beit-simmim', 'mae')
# Transfer protocols: 'full' fine-tuning (the paper's), 'frozen' backbone (only adapter, FPN and heads train; the
# same schedule and hyper-parameters, so the two columns differ in the protocol alone).
PROTOCOLS = ('full', 'frozen')
FROZEN_SECONDS_RATIO = 0.61  # frozen / full train-step wall time, ViT-B at 512 on CPU (docs/benchmarks.md)

# Wall seconds per iteration on this project's 2-core CPU, idle (batch 64 at 112 px for
# pre-training, batch 4 at 192 px for the detector). The detector's 0.50 is the quickstart's
# measured idle wall time. The pre-training ones are idle wall times too, each the mean of two
# rounds of (t(N2) - t(N1)) / (N2 - N1) over fresh `tools/train.py` processes (2026-11-28, load
# < 0.5 at the start): supervised 0.567 / 0.584, MoCo v3 1.293 / 1.695, BEiT/SimMIM 0.617 /
# 0.584, MAE 0.357 / 0.395. The earlier values, single-threaded CPU time scaled by the
# detector's CPU-to-wall ratio (`--calibrate`), gave MAE 0.27 and the others 0.83-1.85: MAE's
# short (25 %-token) encoder gains less from the second core, so that scaling handed MAE about
# 1.7x the others' real time in the first full run.
SECONDS_PER_ITER = {
    'supervised': 0.58,
    'mocov3': 1.49,
    'beit-simmim': 0.60,
    'mae': 0.38,
    'detector': 0.50,
}
DETECTOR_ITERS_PER_EPOCH = 100  # quickstart: 400 images, batch 4
SECONDS_PER_EVAL = 10.0  # CocoMetric on the 50 val images, idle (quickstart: 2 evals + start-up 34 s)
SECONDS_DATA = 60.0  # generating the unlabeled set (4000 images) and the detection set
SECONDS_STAGE_START = 15.0  # process start, imports, dataset and model build
PRETRAIN_SHARE = 0.4  # of the budget left after data; the rest fine-tunes
MIN_PRETRAIN_ITERS = 2
MIN_EPOCHS = 1


@dataclass
class Stage:
    """One resumable step. ``spec`` is what a finished marker must match to be reused."""
    name: str
    kind: str  # 'data', 'pretrain', 'finetune', 'report'
    est_seconds: float
    spec: Dict = field(default_factory=dict)
    total_units: int = 0  # iterations (pretrain) or epochs x iters/epoch (finetune)


@dataclass
class StudyPlan:
    out: str
    budget_min: float
    seeds: int
    stages: List[Stage]
    pretrain_iters: Dict[str, int]
    finetune_epochs: int
    protocols: Tuple[str, ...] = ('full', )

    @property
    def est_seconds(self) -> float:
        return sum(s.est_seconds for s in self.stages)

    def pretrain_work_dir(self, method: str) -> str:
        return osp.join(self.out, 'pretrain', method)

    def pretrain_checkpoint(self, method: str) -> str:
        """mmpretrain's last checkpoint of ``method``: iter_<max_iters>.pth."""
        return osp.join(self.pretrain_work_dir(method),
                        f'iter_{self.pretrain_iters[method]}.pth')

    def finetune_work_dir(self, init: str, seed: int, protocol: str = 'full') -> str:
        frozen = '-frozen' if protocol == 'frozen' else ''
        return osp.join(self.out, 'finetune', f'{init}{frozen}_seed{seed}')


def finetune_config(init: str) -> str:
    if init == 'random':
        return QUICKSTART
    return osp.join(FINETUNE_CONFIG_DIR, f'mask-rcnn_vit-t-{init}_fpn_lsj-10e_shapes.py')


def pretrain_config(method: str) -> str:
    return osp.join(PRETRAIN_CONFIG_DIR, PRETRAIN[method][0])


def val_interval(epochs: int) -> int:
    """Validate about 4 times (and always after the last epoch)."""
    return max(1, math.ceil(epochs / 4))


def _finetune_seconds(epochs: int, iters_per_epoch: int) -> float:
    evals = math.ceil(epochs / val_interval(epochs))
    return (SECONDS_STAGE_START + epochs * iters_per_epoch * SECONDS_PER_ITER['detector'] +
            evals * SECONDS_PER_EVAL)


def split_budget(budget_min: float, seeds: int,
                 iters_per_epoch: int = DETECTOR_ITERS_PER_EPOCH) -> Tuple[Dict[str, int], int]:
    """(pre-training iterations per method, fine-tuning epochs) for ``budget_min`` idle minutes.

    Every method gets the same pre-training wall time; every fine-tuning run the same epochs.
    """
    if budget_min <= 0 or seeds < 1:
        raise ValueError(f'--budget-min must be > 0 (got {budget_min}) and --seeds >= 1 (got '
                         f'{seeds})')
    left = max(budget_min * 60 - SECONDS_DATA, 0.0)
    per_method = PRETRAIN_SHARE * left / len(PRETRAIN) - SECONDS_STAGE_START
    iters = {m: max(MIN_PRETRAIN_ITERS, int(per_method / SECONDS_PER_ITER[m]))
             for m in PRETRAIN}
    per_run = (1 - PRETRAIN_SHARE) * left / (len(INITS) * seeds)
    epochs = MIN_EPOCHS
    while _finetune_seconds(epochs + 1, iters_per_epoch) <= per_run:
        epochs += 1
    return iters, epochs


def check_protocols(protocols) -> Tuple[str, ...]:
    unknown = [p for p in protocols if p not in PROTOCOLS]
    if unknown or not protocols or 'full' not in protocols:
        raise ValueError(f'--protocols {",".join(protocols)}: give full and optionally frozen, e.g. '
                         f'--protocols full,frozen (known: {", ".join(PROTOCOLS)})')
    return tuple(p for p in PROTOCOLS if p in protocols)


def build_plan(out: str, budget_min: float, seeds: int, num_unlabeled: int,
               data_root: str, det_subset: Optional[int] = None, protocols=('full', )) -> StudyPlan:
    """Stages in run order: data, pre-training per method, fine-tuning per protocol, init and seed, report.

    The budget sizes pre-training and the fine-tuning epochs as for the paper's protocol alone; the frozen track
    adds its runs on top, with the same epochs (about 0.6x a fine-tuning run's time each)."""
    protocols = check_protocols(protocols)
    iters_per_epoch = (DETECTOR_ITERS_PER_EPOCH if det_subset is None
                       else math.ceil(det_subset / 4))
    pretrain_iters, epochs = split_budget(budget_min, seeds, iters_per_epoch)
    stages = [Stage('data', 'data', SECONDS_DATA * num_unlabeled / 4000,
                    dict(num_unlabeled=num_unlabeled, data_root=data_root))]
    for method in PRETRAIN:
        n = pretrain_iters[method]
        stages.append(Stage(
            f'pretrain-{method}', 'pretrain',
            SECONDS_STAGE_START + n * SECONDS_PER_ITER[method],
            dict(config=pretrain_config(method), max_iters=n, data_root=data_root,
                 num_unlabeled=num_unlabeled), total_units=n))
    for protocol in protocols:
        for seed in range(seeds):
            for init in INITS:
                spec = dict(config=finetune_config(init), init=init, seed=seed, epochs=epochs,
                            pretrain_iters=pretrain_iters.get(init), data_root=data_root, det_subset=det_subset)
                seconds = _finetune_seconds(epochs, iters_per_epoch)
                name = f'finetune-{init}-seed{seed}'  # the full protocol's names (and markers) as before
                if protocol == 'frozen':
                    spec['protocol'] = protocol
                    seconds *= FROZEN_SECONDS_RATIO
                    name = f'finetune-{init}-frozen-seed{seed}'
                stages.append(Stage(name, 'finetune', seconds, spec, total_units=epochs * iters_per_epoch))
    report_spec = dict(seeds=seeds) if protocols == ('full', ) else dict(seeds=seeds, protocols=list(protocols))
    stages.append(Stage('report', 'report', 30.0, report_spec))
    return StudyPlan(out, budget_min, seeds, stages, pretrain_iters, epochs, protocols)
