# SAM's image encoder as an initialization, ViT-H/16 (32 blocks of width 1280,
# 16 heads): the paper's Mask R-CNN (resolution adapter + FPN) with taps at the
# four global blocks. Activation checkpointing is inherited from the ViT-L base
# (ViT-H at 1024 does not fit 2 images per GPU without it).
#
# Checkpoint: sam_vit_h_4b8939.pth (https://github.com/facebookresearch/segment-anything,
# https://dl.fbaipublicfiles.com/segment_anything/sam_vit_h_4b8939.pth) in the
# folder named by MMVITDET_CHECKPOINTS (default checkpoints/).
_base_ = './mask-rcnn_vit-l-sam_fpn_lsj-100e_coco.py'
checkpoint_dir = '{{$MMVITDET_CHECKPOINTS:checkpoints}}/'
vit_width = 1280  # ViT-H

model = dict(
    backbone=dict(
        arch='huge',
        global_attn_indices=(7, 15, 23, 31),  # SAM ViT-H: global_attn_indexes
        out_indices=(7, 15, 23, 31),  # taps at d/4, 2d/4, 3d/4, d
        drop_path_rate=0.4,  # one step above ViT-L's 0.3 (ViTDet: ViT-H 0.5); untuned
        with_cp=True,
        init_cfg=dict(checkpoint=checkpoint_dir + 'sam_vit_h_4b8939.pth')),
    neck=[  # a list is replaced whole: the ViT-L base's two modules at width 1280
        dict(
            type='ResolutionAdapter',
            in_channels=vit_width,
            scale_factors=(4.0, 2.0, 1.0, 0.5),
            norm_cfg=dict(type='GN', num_groups=32)),  # paper: GN in the 4x module
        dict(
            type='FPN',
            in_channels=[vit_width] * 4,
            out_channels=256,
            num_outs=5,
            norm_cfg=dict(type='SyncBN', requires_grad=True)),  # paper: BN in the FPN
    ])
