# Quickstart: the paper's detector (plain ViT, window + global attention, the
# resolution adapter, FPN with BN, 2-conv RPN, 4conv1fc and mask heads with
# BN, LSJ, AdamW with warmup + cosine) shrunk to train from random init on a
# 2-core CPU in minutes, on a synthetic shapes dataset generated on first use.
#   python tools/train.py configs/quickstart/mask-rcnn_vit-t-random_fpn_lsj-10e_shapes.py
_base_ = [
    '../_base_/models/mask-rcnn_vit-b_fpn.py',
    'mmdet::_base_/default_runtime.py',
]

image_size = (192, 192)  # the paper's 1024 scaled down; token grid 12x12
data_root = 'data/shapes/'
classes = ('circle', 'square', 'triangle')
vit_width = 192  # ViT-Tiny width (DeiT-Ti), 3 heads
fpn_width = 64

model = dict(
    data_preprocessor=dict(pad_size_divisor=image_size[0]),
    backbone=dict(
        arch=dict(
            _delete_=True,
            embed_dims=vit_width,
            num_layers=8,
            num_heads=3,
            mlp_ratio=4),
        img_size=image_size,
        # Abs embedding stored on a 7x7 grid and resized to 12x12, windows of
        # 7 padded 12 -> 14: the same path as 14x14 pre-training windows on
        # the 64x64 grid padded to 70 in the paper.
        pretrain_img_size=112,
        window_size=7,
        global_attn_indices=(1, 3, 5, 7),  # last block of each quarter
        out_indices=(1, 3, 5, 7),
        drop_path_rate=0.0),
    neck=[
        dict(
            type='ResolutionAdapter',
            in_channels=vit_width,
            scale_factors=(4.0, 2.0, 1.0, 0.5),
            norm_cfg=dict(type='GN', num_groups=32)),
        dict(
            type='FPN',
            in_channels=[vit_width] * 4,
            out_channels=fpn_width,
            num_outs=5,
            norm_cfg=dict(type='SyncBN', requires_grad=True)),
    ],
    rpn_head=dict(
        in_channels=fpn_width,
        feat_channels=fpn_width,
        anchor_generator=dict(scales=[4])),
    roi_head=dict(
        bbox_roi_extractor=dict(out_channels=fpn_width),
        bbox_head=dict(
            in_channels=fpn_width,
            conv_out_channels=32,
            fc_out_channels=256,
            num_classes=len(classes)),
        mask_roi_extractor=dict(out_channels=fpn_width),
        mask_head=dict(
            in_channels=fpn_width,
            conv_out_channels=32,
            num_classes=len(classes))),
    train_cfg=dict(
        rpn_proposal=dict(nms_pre=1000, max_per_img=300),
        rcnn=dict(sampler=dict(num=64))),
    test_cfg=dict(
        rpn=dict(nms_pre=500, max_per_img=200),
        rcnn=dict(max_per_img=30)))

# ---------------------------------------------------------------- data (LSJ)
backend_args = None
# mmvitdet's datasets run LoadImageFromFile as CheckedLoadImageFromFile (same
# outputs, errors naming the image); mmdet's DetInferencer looks for this name.
train_pipeline = [
    dict(type='LoadImageFromFile', backend_args=backend_args),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    dict(
        type='RandomResize',
        scale=image_size,
        # the paper's (0.1, 2.0), narrowed for a 10-minute run: box AP 0.182
        # at (0.8, 1.25) vs 0.112 at (0.5, 2.0) after 10 epochs (lr 1e-3)
        ratio_range=(0.8, 1.25),
        keep_ratio=True),
    dict(
        type='RandomCrop',
        crop_type='absolute_range',
        crop_size=image_size,
        recompute_bbox=True,
        allow_negative_crop=True),
    dict(type='FilterAnnotations', min_gt_bbox_wh=(1e-2, 1e-2)),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile', backend_args=backend_args),
    dict(type='Resize', scale=image_size, keep_ratio=True),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    dict(
        type='PackDetInputs',
        meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape',
                   'scale_factor')),
]
# Generated on first use (deterministic from the seed) when data_root is empty.
shapes = dict(num_train=400, num_val=50, img_size=192, seed=0, classes=classes)
train_dataloader = dict(
    batch_size=4,
    num_workers=1,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    batch_sampler=dict(type='AspectRatioBatchSampler'),
    dataset=dict(
        type='ShapesDataset',
        data_root=data_root,
        generate=shapes,
        ann_file='annotations/instances_train.json',
        data_prefix=dict(img='train/'),
        metainfo=dict(classes=classes),
        filter_cfg=dict(filter_empty_gt=True, min_size=4),
        pipeline=train_pipeline,
        backend_args=backend_args))
val_dataloader = dict(
    batch_size=8,
    num_workers=1,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type='ShapesDataset',
        data_root=data_root,
        generate=shapes,
        ann_file='annotations/instances_val.json',
        data_prefix=dict(img='val/'),
        metainfo=dict(classes=classes),
        test_mode=True,
        pipeline=test_pipeline,
        backend_args=backend_args))
test_dataloader = val_dataloader
val_evaluator = dict(
    type='CocoMetric',
    ann_file=data_root + 'annotations/instances_val.json',
    metric=['bbox', 'segm'],
    format_only=False,
    backend_args=backend_args)
test_evaluator = val_evaluator

# ------------------------------------------------------------ optimization
max_epochs = 10  # 1000 iterations of batch 4
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs, val_interval=5)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
optim_wrapper = dict(
    type='OptimWrapper',
    # paper: AdamW, betas (0.9, 0.999). lr for this tiny model from scratch
    # (box AP after 10 epochs: 0.18 at 1e-3, 0.18 at 2e-3, 0.12 at 4e-4)
    optimizer=dict(type='AdamW', lr=1e-3, betas=(0.9, 0.999), weight_decay=0.1),
    # no weight decay on norms, biases and position tables
    paramwise_cfg=dict(
        norm_decay_mult=0.,
        bias_decay_mult=0.,
        custom_keys={
            'pos_embed': dict(decay_mult=0.),
            'relative_position_bias_table': dict(decay_mult=0.),
        }))
param_scheduler = [
    # paper: linear warmup over 0.25 epoch = 25 of the 100 iterations per
    # epoch (in iterations, so that a tiny test dataset still builds)
    dict(type='LinearLR', start_factor=0.001, by_epoch=False, begin=0, end=25),
    # paper: half-period cosine decay to the end of training
    dict(
        type='CosineAnnealingLR',
        eta_min=0.,
        begin=0,
        end=max_epochs,
        T_max=max_epochs,
        by_epoch=True,
        convert_to_iter_based=True),
]
auto_scale_lr = dict(enable=False, base_batch_size=4)

default_hooks = dict(
    logger=dict(type='LoggerHook', interval=10),
    checkpoint=dict(type='CheckpointHook', interval=5, max_keep_ckpts=2))
log_processor = dict(by_epoch=True)

# Seeded (mmengine seeds python, numpy, torch and the dataloader workers from it; deterministic=False:
# deterministic kernels are not forced). Another draw: `--cfg-options randomness.seed=N`.
randomness = dict(seed=0)
