"""A short run of any detector config: a first look at own data or a new init on a CPU in minutes.

``tools/train.py CONFIG --short [ITERS] [--short-size PX]`` trains ITERS iterations (default 20) of batch 2 on
the first images of the train set, at PX pixels (default 256; larger LSJ configs are rescaled with the backbone,
as the cost benchmark does), for one epoch, then evaluates on the first 20 validation images (mAP over those
images only) and saves that checkpoint. The schedule, lr and model are the config's; nothing else changes.
"""
from typing import List

from mmengine.config import Config

from ..analysis.input_size import configured_input_size, rewrite_input_size

SHORT_BATCH = 2
SHORT_VAL_IMAGES = 20


def shorten(cfg: Config, iters: int = 20, size: int = 256, source: str = 'config') -> List[str]:
    """Rewrite ``cfg`` (in place) into a short run; the changes made."""
    if iters < 1:
        raise ValueError(f'--short {iters}: give at least 1 iteration')
    changes = []
    if max(configured_input_size(cfg, source)) > size:
        changes += rewrite_input_size(cfg, size, source)
    train = cfg.train_dataloader
    batch = min(int(train.get('batch_size', 1)), SHORT_BATCH)
    train.batch_size = batch
    train.dataset.indices = iters * batch
    changes.append(f'train: the first {iters * batch} images, batch {batch}, {iters} iterations in one epoch')
    iter_based = cfg.train_cfg.get('type', 'EpochBasedTrainLoop') == 'IterBasedTrainLoop'
    if iter_based:
        cfg.train_cfg.update(max_iters=iters, val_interval=iters)
    else:
        cfg.train_cfg.update(max_epochs=1, val_interval=1)
    for loader in ('val_dataloader', 'test_dataloader'):
        if cfg.get(loader, None) is not None:
            cfg[loader].batch_size = 1
            cfg[loader].dataset.indices = SHORT_VAL_IMAGES
    for evaluator in ('val_evaluator', 'test_evaluator'):
        if isinstance(cfg.get(evaluator, None), dict) and cfg[evaluator].get('type') == 'CocoMetric':
            cfg[evaluator].type = 'CheckedCocoMetric'  # scores only the images evaluated
    changes.append(f'evaluation: the first {SHORT_VAL_IMAGES} validation images, after the last iteration')
    hooks = cfg.default_hooks
    hooks.checkpoint.update(interval=1, by_epoch=not iter_based)
    hooks.logger.interval = min(int(hooks.logger.get('interval', 50)), max(1, iters // 4))
    return changes
