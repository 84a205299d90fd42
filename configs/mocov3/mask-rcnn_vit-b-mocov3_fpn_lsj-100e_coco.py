# Li et al. 2021, MoCo v3 init, ViT-B: Mask R-CNN with the plain ViT-B/16 of
# MoCo v3 (IN-1k, 300 epochs), the checkpoint the paper used.
# Paper result (COCO val2017): 47.9 APbox / 42.7 APmask.
#
# Checkpoint: vit-b-300ep.pth.tar, the official release of
# https://github.com/facebookresearch/moco-v3
# (https://dl.fbaipublicfiles.com/moco-v3/vit-b-300ep/vit-b-300ep.pth.tar),
# placed in the folder named by MMVITDET_CHECKPOINTS (default checkpoints/),
# or set model.backbone.init_cfg.checkpoint=PATH with --cfg-options.
_base_ = [
    '../_base_/models/mask-rcnn_vit-b_fpn.py',
    '../_base_/datasets/coco_instance_lsj-1024.py',
    # paper: pre-trained inits overfit past ~100 epochs (100 here, inferred)
    '../_base_/schedules/lsj-100e_adamw-cosine.py',
    '../_base_/default_runtime.py',
]
checkpoint_dir = '{{$MMVITDET_CHECKPOINTS:checkpoints}}/'

model = dict(
    # MoCo v3 pre-trains with ImageNet mean/std (RGB).
    data_preprocessor=dict(
        mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375]),
    backbone=dict(
        # paper: abs embedding transferred (MoCo v3's fixed sin-cos, class
        # slot dropped), relative biases added and zero-initialized
        use_abs_pos_embed=True,
        use_rel_pos_bias='shared',
        rel_pos_zero_init=True,
        drop_path_rate=0.1,  # paper table: MoCo v3 dp 0.1 (ViT-B)
        init_cfg=dict(
            type='Pretrained',
            checkpoint=checkpoint_dir + 'vit-b-300ep.pth.tar',
            format='mocov3')))
optim_wrapper = dict(
    optimizer=dict(
        lr=1.6e-4,  # paper table: MoCo v3 lr 1.6e-4
        weight_decay=0.1))  # paper table: MoCo v3 wd 0.1
