# Mask R-CNN with a plain ViT-B backbone and the upgrades of Li et al. 2021
# ("Benchmarking Detection Transfer Learning with Vision Transformers"), which
# are detectron2's LSJ "new baselines": BN after the FPN convs, a 2-conv RPN,
# a 4conv1fc box head with BN, BN in the mask head convs; BN synchronized
# across GPUs (mmvitdet turns SyncBN into BN on a machine without CUDA).
_base_ = 'mmdet::_base_/models/mask-rcnn_r50_fpn.py'
custom_imports = dict(imports=['mmvitdet'], allow_failed_imports=False)

image_size = (1024, 1024)  # paper: 1024x1024 LSJ input, 64x64 token grid
norm_cfg = dict(type='SyncBN', requires_grad=True)  # paper: synchronized BN
# torch's SyncBatchNorm handles the empty RoI batches heads can see, and the
# mmengine Runner reverts it to plain BN when training is not distributed.
vit_width = 768  # ViT-B

model = dict(
    data_preprocessor=dict(
        # ImageNet RGB statistics; each init config sets its pre-training's.
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True,
        # Pads every batch (images and masks) to 1024x1024, in training and
        # at test time: paper, "inference also pads inputs to 1024x1024".
        pad_size_divisor=image_size[0],
        pad_mask=True),
    backbone=dict(
        _delete_=True,
        type='ViT',
        arch='base',
        img_size=image_size,
        patch_size=16,
        pretrain_img_size=224,
        window_size=14,  # paper: 14x14 windows, the pre-training grid
        global_attn_indices=(2, 5, 8, 11),  # paper: 4 global blocks, one per d/4
        out_indices=(2, 5, 8, 11),  # paper: taps at d/4, 2d/4, 3d/4, d
        use_abs_pos_embed=True,  # paper: every model gets abs AND rel position
        use_rel_pos_bias='shared',  # paper: one table for window, one for global blocks
        rel_pos_zero_init=True,  # paper: zero-init unless transferred (BEiT)
        # Random init; the init configs add init_cfg=dict(type='Pretrained').
        drop_path_rate=0.1),  # paper table: dp 0.1 for every ViT-B init
    neck=[
        dict(
            type='ResolutionAdapter',  # paper: 4x, 2x, 1x, 0.5x modules
            in_channels=vit_width,
            scale_factors=(4.0, 2.0, 1.0, 0.5),
            norm_cfg=dict(type='GN', num_groups=32)),
        dict(
            type='FPN',
            in_channels=[vit_width] * 4,
            out_channels=256,
            num_outs=5,
            norm_cfg=norm_cfg),  # paper: BN after FPN convs
    ],
    rpn_head=dict(num_convs=2),  # paper: RPN with 2 convs
    roi_head=dict(
        bbox_head=dict(
            type='Shared4Conv1FCBBoxHead',  # paper: 4 conv (+BN) + 1 fc
            conv_out_channels=256,
            norm_cfg=norm_cfg),
        mask_head=dict(norm_cfg=norm_cfg)))  # paper: BN in mask head
