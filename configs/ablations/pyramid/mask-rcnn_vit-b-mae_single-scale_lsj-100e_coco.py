# Multi-scale ablation (Li et al. 2021: FPN gives +1.3-1.7 APbox for ~5% more
# train time): a single stride-16 map from the last block instead of the
# 4-scale adapter + FPN. The one-level FPN below is just its 1x1 + 3x3 convs
# (with BN) projecting 768 -> 256 channels, with no top-down path; RPN anchors
# of sizes 32-512 (5 scales x 3 ratios) all sit on that one level.
_base_ = '../../mae/mask-rcnn_vit-b-mae_fpn_lsj-100e_coco.py'
vit_width = 768
norm_cfg = dict(type='SyncBN', requires_grad=True)
model = dict(
    backbone=dict(out_indices=(11, )),  # last block only
    neck=[
        dict(
            type='ResolutionAdapter',
            in_channels=vit_width,
            scale_factors=(1.0, ),
            norm_cfg=dict(type='GN', num_groups=32)),
        dict(
            type='FPN',
            in_channels=[vit_width],
            out_channels=256,
            num_outs=1,
            norm_cfg=norm_cfg),
    ],
    rpn_head=dict(
        anchor_generator=dict(
            type='AnchorGenerator',
            scales=[2, 4, 8, 16, 32],  # x stride 16: anchors of 32-512 px
            ratios=[0.5, 1.0, 2.0],
            strides=[16])),
    roi_head=dict(
        bbox_roi_extractor=dict(featmap_strides=[16]),
        mask_roi_extractor=dict(featmap_strides=[16])))
