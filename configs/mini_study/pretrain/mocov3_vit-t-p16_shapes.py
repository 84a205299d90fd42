# MoCo v3 (Chen, Xie, He 2021) with mmpretrain's own implementation (MoCoV3,
# MoCoV3ViT with the frozen random patch projection, NonLinearNeck,
# MoCoV3Head) on the unlabeled shapes set: two augmented views per image.
_base_ = './_base_/pretrain_vit-t-p16_112px_shapes.py'

temperature = 0.2  # MoCo v3 ViT
model = dict(
    type='MoCoV3',
    data_preprocessor=dict(
        type='SelfSupDataPreprocessor',
        mean={{_base_.mean}}, std={{_base_.std}}, to_rgb=True),
    base_momentum=0.01,  # MoCo v3: momentum 0.99 (mmpretrain stores 1 - m)
    backbone=dict(type='MoCoV3ViT', arch={{_base_.vit_arch}},
                  img_size={{_base_.img_size}}, patch_size=16,
                  stop_grad_conv1=True),  # MoCo v3's frozen patch projection
    # MoCo v3's 3-layer projector and 2-layer predictor (4096 hidden, 256
    # out), the hidden width shrunk with the encoder
    neck=dict(type='NonLinearNeck', in_channels=192, hid_channels=1024,
              out_channels=256, num_layers=3, with_bias=False,
              with_last_bn=True, with_last_bn_affine=False,
              with_last_bias=False, with_avg_pool=False),
    head=dict(
        type='MoCoV3Head',
        predictor=dict(type='NonLinearNeck', in_channels=256,
                       hid_channels=1024, out_channels=256, num_layers=2,
                       with_bias=False, with_last_bn=True,
                       with_last_bn_affine=False, with_last_bias=False,
                       with_avg_pool=False),
        loss=dict(type='CrossEntropyLoss', loss_weight=2 * temperature),
        temperature=temperature))

# MoCo v3's two asymmetric views (mmpretrain's ViT recipe), at 112 px.
# No hue jitter (MoCo v3: 0.1): mmcv 2.1's adjust_hue overflows on a negative
# shift under numpy 2 ("Python integer -14 out of bounds for uint8").
_color = [
    dict(type='RandomApply', prob=0.8, transforms=[
        dict(type='ColorJitter', brightness=0.4, contrast=0.4,
             saturation=0.2, hue=0.)]),
    dict(type='RandomGrayscale', prob=0.2, keep_channels=True,
         channel_weights=(0.114, 0.587, 0.2989)),
]
view1 = [
    dict(type='RandomResizedCrop', scale={{_base_.img_size}},
         crop_ratio_range=(0.08, 1.), backend='pillow'),
    *_color,
    dict(type='GaussianBlur', magnitude_range=(0.1, 2.0),
         magnitude_std='inf', prob=1.),
    dict(type='RandomFlip', prob=0.5),
]
view2 = [
    dict(type='RandomResizedCrop', scale={{_base_.img_size}},
         crop_ratio_range=(0.08, 1.), backend='pillow'),
    *_color,
    dict(type='GaussianBlur', magnitude_range=(0.1, 2.0),
         magnitude_std='inf', prob=0.1),
    dict(type='Solarize', thr=128, prob=0.2),
    dict(type='RandomFlip', prob=0.5),
]
train_dataloader = dict(dataset=dict(pipeline=[
    dict(type='LoadImageFromFile'),
    dict(type='MultiView', num_views=[1, 1], transforms=[view1, view2]),
    dict(type='PackInputs'),
]))

# MoCo v3 ViT: AdamW, wd 0.1; the lr is set for this batch of 64 (not tuned)
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=1.5e-3, weight_decay=0.1))
find_unused_parameters = True
