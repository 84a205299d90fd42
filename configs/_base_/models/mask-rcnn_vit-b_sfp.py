# ViTDet's Mask R-CNN (Li et al. 2022): the plain ViT-B with the simple
# feature pyramid (all levels from the last block, no FPN) and LayerNorm in
# the pyramid and the RoI heads instead of BN. RPN with 2 convs as before.
_base_ = './mask-rcnn_vit-b_fpn.py'
ln_cfg = dict(type='mmpretrain.LN2d', eps=1e-6)  # ViTDet: LayerNorm over channels

model = dict(
    backbone=dict(
        # ViTDet (detectron2 ViT use_rel_pos=True, rel_pos_zero_init=True):
        # decomposed relative position per block, zero-init, tables over the
        # 14x14 window in window blocks and the 64x64 grid in global ones.
        use_rel_pos_bias='decomposed',
        out_indices=(11, )),  # ViTDet: the pyramid reads the last block only
    neck=dict(
        _delete_=True,
        type='SimpleFeaturePyramid',
        in_channels={{_base_.vit_width}},
        out_channels=256,
        scale_factors=(4.0, 2.0, 1.0, 0.5),  # ViTDet: strides 4, 8, 16, 32
        num_outs=5,  # + a max-pooled stride-64 level for the RPN
        # detectron2: 4x branch 768 -> 384 -> 192, 2x branch 768 -> 384
        narrow_branches=True,
        norm_cfg=ln_cfg),
    roi_head=dict(
        bbox_head=dict(norm_cfg=ln_cfg),  # ViTDet: LN in the 4conv1fc head
        mask_head=dict(norm_cfg=ln_cfg)))  # ViTDet: LN in the mask head
