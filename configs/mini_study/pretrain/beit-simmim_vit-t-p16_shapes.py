# The BEiT architecture (Bao et al. 2021: q/v biases, layer scale 0.1, one
# relative position bias shared by all blocks, no abs embedding, BEiT's
# blockwise masking) trained with SimMIM's target (Xie et al. 2021: raw
# pixels of the masked patches, L1, linear decoder) instead of BEiT's DALL-E
# tokens, which need a tokenizer trained elsewhere. mmpretrain's SimMIM,
# SimMIMLinearDecoder, SimMIMHead and BEiTMaskGenerator; the backbone is
# mmpretrain's BEiTPretrainViT returning a feature map (mmvitdet.pretrain).
_base_ = './_base_/pretrain_vit-t-p16_112px_shapes.py'

model = dict(
    type='SimMIM',
    data_preprocessor=dict(
        type='SelfSupDataPreprocessor',
        mean={{_base_.mean}}, std={{_base_.std}}, to_rgb=True),
    backbone=dict(type='BEiTViTForSimMIM', arch={{_base_.vit_arch}},
                  img_size={{_base_.img_size}}, patch_size=16,
                  use_abs_pos_emb=False, use_rel_pos_bias=False,
                  use_shared_rel_pos_bias=True,
                  layer_scale_init_value=0.1),  # BEiT
    neck=dict(type='SimMIMLinearDecoder', in_channels=192, encoder_stride=16),
    head=dict(type='SimMIMHead', patch_size=16,
              loss=dict(type='PixelReconstructionLoss', criterion='L1',
                        channel=3)))

train_dataloader = dict(dataset=dict(pipeline=[
    dict(type='LoadImageFromFile'),
    dict(type='RandomResizedCrop', scale={{_base_.img_size}},
         crop_ratio_range=(0.67, 1.0), backend='pillow'),  # SimMIM's range
    dict(type='RandomFlip', prob=0.5),
    # BEiT's blockwise masking (75 of 196 patches, >= 16 per block) scaled
    # to the 7x7 grid: 19 of 49 patches, blocks of >= 4
    dict(type='BEiTMaskGenerator', input_size=7, num_masking_patches=19,
         min_num_patches=4, max_num_patches=None),
    dict(type='PackInputs'),
]))

# BEiT: AdamW, betas (0.9, 0.999), wd 0.05; the lr is set for this batch of
# 64 (not tuned)
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=1.5e-3, betas=(0.9, 0.999),
                   weight_decay=0.05),
    clip_grad=dict(max_norm=3.0),  # BEiT
    paramwise_cfg=dict(custom_keys={
        'ln': dict(decay_mult=0.0),
        'bias': dict(decay_mult=0.0),
        'gamma': dict(decay_mult=0.0),
        'mask_token': dict(decay_mult=0.),
        'cls_token': dict(decay_mult=0.),
        'relative_position_bias_table': dict(decay_mult=0.),
    }))
