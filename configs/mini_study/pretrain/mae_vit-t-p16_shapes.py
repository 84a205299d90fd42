# MAE (He et al. 2021) with mmpretrain's own implementation (MAE, MAEViT,
# MAEPretrainDecoder, MAEPretrainHead) on the unlabeled shapes set.
_base_ = './_base_/pretrain_vit-t-p16_112px_shapes.py'

model = dict(
    type='MAE',
    data_preprocessor=dict(
        type='SelfSupDataPreprocessor',
        mean={{_base_.mean}}, std={{_base_.std}}, to_rgb=True),
    backbone=dict(type='MAEViT', arch={{_base_.vit_arch}},
                  img_size={{_base_.img_size}}, patch_size=16,
                  mask_ratio=0.75),  # MAE's ratio
    neck=dict(
        type='MAEPretrainDecoder',
        num_patches=49,  # 7x7
        patch_size=16,
        in_chans=3,
        embed_dim=192,
        # MAE's decoder (512 wide, 8 deep) shrunk with the encoder
        decoder_embed_dim=128,
        decoder_depth=2,
        decoder_num_heads=4,
        mlp_ratio=4.),
    head=dict(type='MAEPretrainHead', norm_pix=True, patch_size=16,
              loss=dict(type='PixelReconstructionLoss', criterion='L2')),
    init_cfg=[
        dict(type='Xavier', layer='Linear', distribution='uniform'),
        dict(type='Constant', layer='LayerNorm', val=1.0, bias=0.0)
    ])

train_dataloader = dict(dataset=dict(pipeline=[
    dict(type='LoadImageFromFile'),
    dict(type='RandomResizedCrop', scale={{_base_.img_size}},
         crop_ratio_range=(0.2, 1.0), backend='pillow',
         interpolation='bicubic'),  # MAE's crop range
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackInputs'),
]))

# MAE: AdamW, betas (0.9, 0.95), wd 0.05; the lr is raised for a schedule of
# a few thousand iterations (not tuned).
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=1.5e-3, betas=(0.9, 0.95),
                   weight_decay=0.05),
    paramwise_cfg=dict(custom_keys={
        'ln': dict(decay_mult=0.0),
        'bias': dict(decay_mult=0.0),
        'pos_embed': dict(decay_mult=0.),
        'mask_token': dict(decay_mult=0.),
        'cls_token': dict(decay_mult=0.)
    }))
