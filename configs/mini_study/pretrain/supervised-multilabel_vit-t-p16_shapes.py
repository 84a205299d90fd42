# Supervised pre-training with mmpretrain's ImageClassifier: the ViT's class
# token predicts which of the five shapes an image contains (multi-label,
# one sigmoid per shape), the image-level labels the generator writes.
_base_ = './_base_/pretrain_vit-t-p16_112px_shapes.py'

model = dict(
    type='ImageClassifier',
    data_preprocessor=dict(
        type='ClsDataPreprocessor', num_classes=5,
        mean={{_base_.mean}}, std={{_base_.std}}, to_rgb=True),
    backbone=dict(type='VisionTransformer', arch={{_base_.vit_arch}},
                  img_size={{_base_.img_size}}, patch_size=16,
                  out_type='cls_token'),
    neck=None,
    head=dict(type='MultiLabelLinearClsHead', num_classes=5,
              in_channels=192,
              loss=dict(type='CrossEntropyLoss', use_sigmoid=True)))

# The whole image, resized (a crop could cut a shape out and make its label
# wrong); flip and colour jitter keep the labels.
train_dataloader = dict(dataset=dict(
    _delete_=True,
    type='MultiLabelDataset',
    data_root={{_base_.data_root}},
    ann_file='annotations/image_labels.json',
    data_prefix='unlabeled/',
    pipeline=[
        dict(type='LoadImageFromFile'),
        dict(type='Resize', scale={{_base_.img_size}}, backend='pillow'),
        dict(type='RandomFlip', prob=0.5),
        dict(type='ColorJitter', brightness=0.4, contrast=0.4,
             saturation=0.4),
        dict(type='PackInputs'),
    ]))

# DeiT's AdamW recipe (wd 0.05); the lr is set for this batch of 64 (not tuned)
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=1e-3, weight_decay=0.05),
    paramwise_cfg=dict(norm_decay_mult=0.0, bias_decay_mult=0.0,
                       custom_keys={'.pos_embed': dict(decay_mult=0.0),
                                    '.cls_token': dict(decay_mult=0.0)}))
