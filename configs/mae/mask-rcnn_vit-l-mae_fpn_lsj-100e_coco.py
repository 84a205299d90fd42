# Li et al. 2021, MAE init, ViT-L: Mask R-CNN with the plain ViT-L/16 from
# MAE pre-training (IN-1k, 1600 epochs, normalized-pixel target).
# Paper result (COCO val2017): 53.3 APbox / 47.2 APmask.
#
# Checkpoint: mae_pretrain_vit_large.pth, the official release of
# https://github.com/facebookresearch/mae
# (https://dl.fbaipublicfiles.com/mae/pretrain/mae_pretrain_vit_large.pth),
# placed in the folder named by MMVITDET_CHECKPOINTS (default checkpoints/),
# or set model.backbone.init_cfg.checkpoint=PATH with --cfg-options.
_base_ = [
    '../_base_/models/mask-rcnn_vit-l_fpn.py',
    '../_base_/datasets/coco_instance_lsj-1024.py',
    # paper: pre-trained inits overfit past ~100 epochs; 100 is MAE ViT-B's
    # best, used for ViT-L as well (inferred)
    '../_base_/schedules/lsj-100e_adamw-cosine.py',
    '../_base_/default_runtime.py',
]
checkpoint_dir = '{{$MMVITDET_CHECKPOINTS:checkpoints}}/'

model = dict(
    # MAE pre-trains with ImageNet mean/std (RGB).
    data_preprocessor=dict(
        mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375]),
    backbone=dict(
        # paper: abs embedding transferred, relative biases zero-initialized
        use_abs_pos_embed=True,
        use_rel_pos_bias='shared',
        rel_pos_zero_init=True,
        drop_path_rate=0.3,  # paper table: MAE dp 0.3 (ViT-L)
        init_cfg=dict(
            type='Pretrained',
            checkpoint=checkpoint_dir + 'mae_pretrain_vit_large.pth',
            format='mae')))
optim_wrapper = dict(
    optimizer=dict(
        lr=8e-5,  # paper: ViT-L reuses ViT-B's lr (MAE 8e-5)
        weight_decay=0.1))  # paper: ViT-L reuses ViT-B's wd (MAE 0.1)
