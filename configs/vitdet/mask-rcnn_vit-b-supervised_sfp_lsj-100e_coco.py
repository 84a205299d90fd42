# ViTDet's recipe (Li et al. 2022) for the supervised (DeiT) ViT-B, to compare
# with configs/supervised/mask-rcnn_vit-b-supervised_fpn_lsj-100e_coco.py.
# The 100-epoch length follows ViTDet's MAE configs (inferred for this init).
#
# Checkpoint: deit_base_patch16_224-b5f2ef4d.pth (https://github.com/facebookresearch/deit,
# https://dl.fbaipublicfiles.com/deit/deit_base_patch16_224-b5f2ef4d.pth) in
# the folder named by MMVITDET_CHECKPOINTS (default checkpoints/).
_base_ = [
    '../_base_/models/mask-rcnn_vit-b_sfp.py',
    '../_base_/datasets/coco_instance_lsj-1024.py',
    '../_base_/schedules/vitdet_lsj-100e_adamw-step.py',
    '../_base_/default_runtime.py',
]
checkpoint_dir = '{{$MMVITDET_CHECKPOINTS:checkpoints}}/'

model = dict(
    # DeiT trains with ImageNet mean/std (RGB).
    data_preprocessor=dict(
        mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375]),
    backbone=dict(
        use_abs_pos_embed=True,  # ViTDet: abs embedding transferred
        drop_path_rate=0.1,  # ViTDet table: dp 0.1 (ViT-B)
        init_cfg=dict(
            type='Pretrained',
            checkpoint=checkpoint_dir + 'deit_base_patch16_224-b5f2ef4d.pth',
            format='timm')))
optim_wrapper = dict(
    optimizer=dict(
        lr=8e-5,  # ViTDet table: supervised lr 8e-5
        weight_decay=0.1),  # ViTDet table: supervised wd 0.1
    paramwise_cfg=dict(layer_decay_rate=0.7))  # ViTDet: 0.7 for ViT-B
