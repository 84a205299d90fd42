"""The tools/train.py command line of each pre-training and fine-tuning stage.

Both kinds run through the project's tools/train.py (mmengine's Runner; mmpretrain's models
through the pre-training configs' default scope), with ``--resume`` so that an interrupted
stage continues from its last checkpoint, and ``--cfg-options`` carrying the plan.
"""
import math
import os.path as osp
import sys
from typing import List

from .plan import Stage, StudyPlan, val_interval


def pretrain_options(stage: Stage) -> List[str]:
    """max_iters, with the warmup (10%) and cosine decay of the config rescaled to it."""
    n = stage.spec['max_iters']
    warmup = min(max(1, round(0.1 * n)), n)
    end = max(n, warmup + 1)  # mmengine needs end > begin, even when never reached
    return [
        f'train_cfg.max_iters={n}',
        f'param_scheduler.0.end={warmup}',
        f'param_scheduler.1.begin={warmup}',
        f'param_scheduler.1.end={end}',
        f'param_scheduler.1.T_max={end - warmup}',
        f'default_hooks.checkpoint.interval={max(1, math.ceil(n / 4))}',
        f"train_dataloader.dataset.data_root={osp.join(stage.spec['data_root'], 'shapes_unlabeled')}",
    ]


def finetune_options(plan: StudyPlan, stage: Stage) -> List[str]:
    """The quickstart's schedule shortened to the plan's epochs, the seed, the checkpoint."""
    spec = stage.spec
    epochs, interval = spec['epochs'], val_interval(spec['epochs'])
    det_root = osp.join(spec['data_root'], 'shapes')
    val_ann = osp.join(det_root, 'annotations', 'instances_val.json')
    options = [
        f'train_cfg.max_epochs={epochs}',
        f'train_cfg.val_interval={interval}',
        f'param_scheduler.1.end={epochs}',
        f'param_scheduler.1.T_max={epochs}',
        f'default_hooks.checkpoint.interval={interval}',
        f"randomness.seed={spec['seed']}",
        f'train_dataloader.dataset.data_root={det_root}/',
        f'val_dataloader.dataset.data_root={det_root}/',
        f'test_dataloader.dataset.data_root={det_root}/',
        f'val_evaluator.ann_file={val_ann}',
        f'test_evaluator.ann_file={val_ann}',
    ]
    if spec['init'] != 'random':
        options.append(f"model.backbone.init_cfg.checkpoint={plan.pretrain_checkpoint(spec['init'])}")
    if spec.get('protocol') == 'frozen':  # configs/_base_/protocols/frozen_lsj-36e.py's backbone settings
        options += ['model.backbone.frozen_stages=all', 'model.backbone.drop_path_rate=0.0']
    if spec.get('det_subset'):
        # smoke runs: the first N images of each split (mmengine BaseDataset ``indices``)
        options += [f"train_dataloader.dataset.indices={spec['det_subset']}",
                    f"val_dataloader.dataset.indices={spec['det_subset']}"]
    return options


def train_command(repo: str, plan: StudyPlan, stage: Stage) -> List[str]:
    """argv of tools/train.py for a 'pretrain' or 'finetune' stage."""
    if stage.kind == 'pretrain':
        method = stage.name[len('pretrain-'):]
        work_dir, options = plan.pretrain_work_dir(method), pretrain_options(stage)
    elif stage.kind == 'finetune':
        spec = stage.spec
        work_dir = plan.finetune_work_dir(spec['init'], spec['seed'], spec.get('protocol', 'full'))
        options = finetune_options(plan, stage)
    else:
        raise ValueError(f'stage {stage.name} ({stage.kind}) is not a training stage')
    return [sys.executable, osp.join(repo, 'tools', 'train.py'),
            osp.join(repo, stage.spec['config']), '--work-dir', work_dir, '--resume',
            '--cfg-options', *options]
