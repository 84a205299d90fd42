# The paper's Mask R-CNN (see mask-rcnn_vit-b_fpn.py) with a plain ViT-L/16.
_base_ = './mask-rcnn_vit-b_fpn.py'
vit_width = 1024  # ViT-L

model = dict(
    backbone=dict(
        arch='large',
        global_attn_indices=(5, 11, 17, 23),  # paper: 4 global blocks, one per d/4
        out_indices=(5, 11, 17, 23),  # paper: taps at d/4, 2d/4, 3d/4, d
        drop_path_rate=0.3,  # paper table: dp 0.3 for every ViT-L init
        # Activation checkpointing: ViT-L at 1024 needs about 21 GB per image
        # for training (ViTDet's published 20.9 GB, 1 image/GPU), so the 2
        # images per 32 GB V100 of the paper's batch 64 on 32 GPUs do not fit
        # without it (inferred; costs a second forward of each block).
        with_cp=True),
    neck=[
        dict(
            type='ResolutionAdapter',
            in_channels=vit_width,
            scale_factors=(4.0, 2.0, 1.0, 0.5),
            norm_cfg=dict(type='GN', num_groups=32)),
        dict(
            type='FPN',
            in_channels=[vit_width] * 4,
            out_channels=256,
            num_outs=5,
            norm_cfg={{_base_.norm_cfg}}),
    ])
