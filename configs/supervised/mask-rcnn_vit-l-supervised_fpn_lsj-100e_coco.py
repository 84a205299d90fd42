# Li et al. 2021, supervised init, ViT-L: Mask R-CNN with a plain ViT-L/16
# trained with IN-1k labels. Paper result (COCO val2017): 49.3 APbox /
# 43.9 APmask.
#
# The paper's ViT-L was trained with the MAE paper's supervised recipe (200
# epochs) and is not public. The only official supervised IN-1k ViT-L is DeiT
# III's: deit_3_large_224_1k.pth of https://github.com/facebookresearch/deit
# (https://dl.fbaipublicfiles.com/deit/deit_3_large_224_1k.pth). It carries
# layer scale, hence layer_scale_init_value below (the values come from the
# file). Place it in the folder named by MMVITDET_CHECKPOINTS (default
# checkpoints/), or set model.backbone.init_cfg.checkpoint=PATH.
_base_ = [
    '../_base_/models/mask-rcnn_vit-l_fpn.py',
    '../_base_/datasets/coco_instance_lsj-1024.py',
    # paper: pre-trained inits overfit past ~100 epochs (100 here, inferred)
    '../_base_/schedules/lsj-100e_adamw-cosine.py',
    '../_base_/default_runtime.py',
]
checkpoint_dir = '{{$MMVITDET_CHECKPOINTS:checkpoints}}/'

model = dict(
    # DeiT III trains with ImageNet mean/std (RGB).
    data_preprocessor=dict(
        mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375]),
    backbone=dict(
        # paper: abs embedding transferred, relative biases zero-initialized
        use_abs_pos_embed=True,
        use_rel_pos_bias='shared',
        rel_pos_zero_init=True,
        layer_scale_init_value=1e-6,  # DeiT III has layer scale (loaded)
        drop_path_rate=0.3,  # paper table: supervised dp 0.3 (ViT-L)
        init_cfg=dict(
            type='Pretrained',
            checkpoint=checkpoint_dir + 'deit_3_large_224_1k.pth',
            format='timm')))
optim_wrapper = dict(
    optimizer=dict(
        lr=8e-5,  # paper: ViT-L reuses ViT-B's lr (supervised 8e-5)
        weight_decay=0.1))  # paper: ViT-L reuses ViT-B's wd (supervised 0.1)
