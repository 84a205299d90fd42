"""The config of the distributed check: a paper config trained for a few iterations on generated shapes.

Everything that makes the paper's run is kept (model with SyncBN, AMP optim wrapper, the LSJ pipeline, auto-scaled
lr); what changes is the data (the synthetic shapes set, generated at the input size on first use), random
backbone weights instead of a checkpoint, an iteration-based loop of ``iters`` iterations without validation or
checkpoints, and :class:`GpuCheckProbeHook` recording what the run used.
"""
from typing import Dict, Optional

SHAPES_CLASSES = ('circle', 'square', 'triangle')


def write_config(base_config: str, out_path: str, data_root: str, img_size: int, iters: int, batch_size: int,
                 probe_file: str, cfg_options: Optional[Dict] = None, num_images: int = 4) -> Dict:
    """Write the config to ``out_path``; returns its path and the changes made to the base config."""
    from mmengine.config import Config

    from mmvitdet.analysis.input_size import configured_input_size, rewrite_input_size
    cfg = Config.fromfile(base_config)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    changes = []
    if configured_input_size(cfg, base_config) != (img_size, img_size):
        changes = rewrite_input_size(cfg, img_size, base_config)
    cfg.model.backbone.init_cfg = None
    scale = img_size / 192  # the generator's defaults suit 192 px
    cfg.train_dataloader = dict(
        batch_size=batch_size, num_workers=2, persistent_workers=False,
        sampler=dict(type='DefaultSampler', shuffle=True),
        batch_sampler=dict(type='AspectRatioBatchSampler'),
        dataset=dict(
            type='ShapesDataset', data_root=data_root,
            generate=dict(num_train=num_images, num_val=1, img_size=img_size, seed=0, classes=SHAPES_CLASSES,
                          min_size=20.0 * scale, max_size=80.0 * scale, max_instances=6),
            ann_file='annotations/instances_train.json', data_prefix=dict(img='train/'),
            metainfo=dict(classes=SHAPES_CLASSES), filter_cfg=dict(filter_empty_gt=True, min_size=4),
            pipeline=cfg.train_dataloader.dataset.pipeline))
    cfg.train_cfg = dict(type='IterBasedTrainLoop', max_iters=iters, val_interval=iters + 1)
    for key in ('val_dataloader', 'val_cfg', 'val_evaluator', 'test_dataloader', 'test_cfg', 'test_evaluator',
                'param_scheduler'):
        cfg[key] = None
    cfg.default_hooks.checkpoint = None
    cfg.default_hooks.logger = dict(type='LoggerHook', interval=1)
    cfg.log_processor = dict(type='LogProcessor', window_size=1, by_epoch=False)
    cfg.custom_hooks = [dict(type='GpuCheckProbeHook', out_file=probe_file)]
    cfg.custom_imports = dict(imports=['mmvitdet', 'mmvitdet.gpu_check.probe_hook'], allow_failed_imports=False)
    changes.append(f'data: ShapesDataset ({num_images} images of {img_size} px) in {data_root}; '
                   f'{iters} iterations, no validation, no checkpoints; random backbone weights')
    cfg.dump(out_path)
    return dict(config=out_path, changes=changes)
