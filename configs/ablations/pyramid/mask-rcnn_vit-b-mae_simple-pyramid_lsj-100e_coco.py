# Pyramid ablation: the paper's resolution adapter (4 taps at d/4..d) + FPN
# replaced by ViTDet's simple feature pyramid (Li et al. 2022: all scales from
# the last block, 1x1 + 3x3 conv with LayerNorm per level, no top-down path).
# Only the neck changes: heads keep BN, the backbone keeps the 2021 shared
# relative biases, recipe as configs/mae/mask-rcnn_vit-b-mae_fpn_lsj-100e_coco.py.
# The full ViTDet recipe is configs/vitdet/mask-rcnn_vit-b-mae_sfp_lsj-100e_coco.py.
_base_ = '../../mae/mask-rcnn_vit-b-mae_fpn_lsj-100e_coco.py'
model = dict(
    backbone=dict(out_indices=(11, )),  # ViTDet: the last block only
    neck=dict(
        _delete_=True,
        type='SimpleFeaturePyramid',
        in_channels=768,
        out_channels=256,
        scale_factors=(4.0, 2.0, 1.0, 0.5),  # strides 4, 8, 16, 32
        num_outs=5,  # + a max-pooled stride-64 level for the RPN
        narrow_branches=True))  # detectron2's widths: 4x 768 -> 384 -> 192, 2x 768 -> 384
