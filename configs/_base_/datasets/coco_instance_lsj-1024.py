# COCO 2017 instance segmentation with large-scale jitter (LSJ) at 1024x1024,
# as in Li et al. 2021 ("Training formula").
#
# Set the COCO folder once with the environment variable MMVITDET_DATA_ROOT
# (default data/coco/); it must hold annotations/instances_{train,val}2017.json,
# train2017/ and val2017/ (https://cocodataset.org/#download). Example:
#   MMVITDET_DATA_ROOT=/datasets/coco/ python tools/train.py CONFIG
# A missing folder stops the run with an error naming the path and this variable.
dataset_type = 'CheckedCocoDataset'
data_root = '{{$MMVITDET_DATA_ROOT:data/coco/}}'
missing_data_hint = (
    'set the environment variable MMVITDET_DATA_ROOT to the COCO 2017 folder '
    '(it holds annotations/instances_train2017.json, train2017/, val2017/; '
    'download from https://cocodataset.org/#download), or override '
    'train_dataloader.dataset.data_root, val_dataloader.dataset.data_root and '
    'val_evaluator.ann_file with --cfg-options')
lsj_size = (1024, 1024)  # paper: 1024x1024 input
backend_args = None

# mmvitdet's datasets run LoadImageFromFile as CheckedLoadImageFromFile (same
# outputs, errors naming the image); mmdet's DetInferencer looks for this name.
train_pipeline = [
    dict(type='LoadImageFromFile', backend_args=backend_args),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    dict(
        type='RandomResize',
        scale=lsj_size,
        ratio_range=(0.1, 2.0),  # paper: LSJ resize factor in [0.1, 2.0]
        keep_ratio=True),
    dict(
        type='RandomCrop',  # paper: random crop to 1024x1024
        crop_type='absolute_range',
        crop_size=lsj_size,
        recompute_bbox=True,
        allow_negative_crop=True),
    dict(type='FilterAnnotations', min_gt_bbox_wh=(1e-2, 1e-2)),
    dict(type='RandomFlip', prob=0.5),  # paper: horizontal flip
    # Padding to 1024x1024 is the data preprocessor's (pad_size_divisor=1024).
    dict(type='PackDetInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile', backend_args=backend_args),
    # Longer side to 1024; the preprocessor pads to 1024x1024 as in training
    # (paper: less padding at test time costs 0.5-1 APbox).
    dict(type='Resize', scale=lsj_size, keep_ratio=True),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    dict(
        type='PackDetInputs',
        meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape',
                   'scale_factor')),
]

# 2 images per GPU x 32 GPUs = the paper's total batch 64 (paper: batch 64 on
# 32-64 V100s). With fewer GPUs, auto_scale_lr (schedules) scales the lr.
train_dataloader = dict(
    batch_size=2,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    batch_sampler=dict(type='AspectRatioBatchSampler'),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='annotations/instances_train2017.json',
        data_prefix=dict(img='train2017/'),
        filter_cfg=dict(filter_empty_gt=True, min_size=32),
        missing_data_hint=missing_data_hint,
        pipeline=train_pipeline,
        backend_args=backend_args))
val_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='annotations/instances_val2017.json',
        data_prefix=dict(img='val2017/'),
        test_mode=True,
        missing_data_hint=missing_data_hint,
        pipeline=test_pipeline,
        backend_args=backend_args))
test_dataloader = val_dataloader

val_evaluator = dict(
    type='CocoMetric',
    ann_file=data_root + 'annotations/instances_val2017.json',
    metric=['bbox', 'segm'],
    format_only=False,
    backend_args=backend_args)
test_evaluator = val_evaluator
