# ViTDet's recipe (Li et al. 2022) for a supervised IN-1k ViT-L, to compare
# with configs/supervised/mask-rcnn_vit-l-supervised_fpn_lsj-100e_coco.py
# (same checkpoint caveat: DeiT III's, with layer scale). The 100-epoch length
# follows ViTDet's MAE configs (inferred for this init).
#
# Checkpoint: deit_3_large_224_1k.pth (https://github.com/facebookresearch/deit,
# https://dl.fbaipublicfiles.com/deit/deit_3_large_224_1k.pth) in the folder
# named by MMVITDET_CHECKPOINTS (default checkpoints/).
_base_ = [
    '../_base_/models/mask-rcnn_vit-l_sfp.py',
    '../_base_/datasets/coco_instance_lsj-1024.py',
    '../_base_/schedules/vitdet_lsj-100e_adamw-step.py',
    '../_base_/default_runtime.py',
]
checkpoint_dir = '{{$MMVITDET_CHECKPOINTS:checkpoints}}/'

model = dict(
    # DeiT III trains with ImageNet mean/std (RGB).
    data_preprocessor=dict(
        mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375]),
    backbone=dict(
        use_abs_pos_embed=True,  # ViTDet: abs embedding transferred
        layer_scale_init_value=1e-6,  # DeiT III has layer scale (loaded)
        drop_path_rate=0.4,  # ViTDet table: dp 0.4 (ViT-L)
        init_cfg=dict(
            type='Pretrained',
            checkpoint=checkpoint_dir + 'deit_3_large_224_1k.pth',
            format='timm')))
optim_wrapper = dict(
    optimizer=dict(
        lr=8e-5,  # ViTDet table: supervised lr 8e-5
        weight_decay=0.1),  # ViTDet table: supervised wd 0.1
    paramwise_cfg=dict(layer_decay_rate=0.8))  # ViTDet: 0.8 for ViT-L
