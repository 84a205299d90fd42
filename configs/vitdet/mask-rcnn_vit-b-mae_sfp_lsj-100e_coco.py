# ViTDet's recipe (Li et al. 2022) for MAE ViT-B, to compare with the 2021
# recipe of configs/mae/mask-rcnn_vit-b-mae_fpn_lsj-100e_coco.py: simple
# feature pyramid, LayerNorm heads, per-block relative position, layer-wise lr
# decay 0.7, step schedule. ViTDet's published result: 51.6 APbox / 45.9 APmask.
#
# Checkpoint: mae_pretrain_vit_base.pth (https://github.com/facebookresearch/mae,
# https://dl.fbaipublicfiles.com/mae/pretrain/mae_pretrain_vit_base.pth) in
# the folder named by MMVITDET_CHECKPOINTS (default checkpoints/).
_base_ = [
    '../_base_/models/mask-rcnn_vit-b_sfp.py',
    '../_base_/datasets/coco_instance_lsj-1024.py',
    '../_base_/schedules/vitdet_lsj-100e_adamw-step.py',  # ViTDet: 100 epochs
    '../_base_/default_runtime.py',
]
checkpoint_dir = '{{$MMVITDET_CHECKPOINTS:checkpoints}}/'

model = dict(
    # MAE pre-trains with ImageNet mean/std (RGB).
    data_preprocessor=dict(
        mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375]),
    backbone=dict(
        use_abs_pos_embed=True,  # ViTDet: abs embedding transferred
        drop_path_rate=0.1,  # ViTDet table: dp 0.1 (ViT-B)
        init_cfg=dict(
            type='Pretrained',
            checkpoint=checkpoint_dir + 'mae_pretrain_vit_base.pth',
            format='mae')))
optim_wrapper = dict(
    optimizer=dict(
        lr=1e-4,  # ViTDet table: MAE lr 1e-4
        weight_decay=0.1),  # ViTDet table: MAE wd 0.1
    paramwise_cfg=dict(layer_decay_rate=0.7))  # ViTDet: 0.7 for ViT-B
