# Li et al. 2021, MAE init, ViT-B: Mask R-CNN with the plain ViT-B/16 from
# MAE pre-training (IN-1k, 1600 epochs, normalized-pixel target).
# Paper result (COCO val2017): 50.3 APbox / 44.9 APmask.
#
# Checkpoint: mae_pretrain_vit_base.pth, the official release of
# https://github.com/facebookresearch/mae
# (https://dl.fbaipublicfiles.com/mae/pretrain/mae_pretrain_vit_base.pth),
# placed in the folder named by MMVITDET_CHECKPOINTS (default checkpoints/),
# or set model.backbone.init_cfg.checkpoint=PATH with --cfg-options.
_base_ = [
    '../_base_/models/mask-rcnn_vit-b_fpn.py',
    '../_base_/datasets/coco_instance_lsj-1024.py',
    # paper: 100 epochs is MAE ViT-B's best schedule (48.1 / 50.1 / 50.3
    # APbox at 25 / 50 / 100 epochs)
    '../_base_/schedules/lsj-100e_adamw-cosine.py',
    '../_base_/default_runtime.py',
]
checkpoint_dir = '{{$MMVITDET_CHECKPOINTS:checkpoints}}/'

model = dict(
    # MAE pre-trains with ImageNet mean/std (RGB).
    data_preprocessor=dict(
        mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375]),
    backbone=dict(
        # paper: abs embedding transferred (MAE's fixed sin-cos, resized
        # 14x14 -> 64x64), relative biases added and zero-initialized
        use_abs_pos_embed=True,
        use_rel_pos_bias='shared',
        rel_pos_zero_init=True,
        drop_path_rate=0.1,  # paper table: MAE dp 0.1 (ViT-B)
        init_cfg=dict(
            type='Pretrained',
            checkpoint=checkpoint_dir + 'mae_pretrain_vit_base.pth',
            format='mae')))
optim_wrapper = dict(
    optimizer=dict(
        lr=8e-5,  # paper table: MAE lr 8e-5
        weight_decay=0.1))  # paper table: MAE wd 0.1
