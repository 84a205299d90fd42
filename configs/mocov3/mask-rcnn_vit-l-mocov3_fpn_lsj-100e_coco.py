# Li et al. 2021, MoCo v3 init, ViT-L: Mask R-CNN with a plain ViT-L/16 from
# MoCo v3 pre-training (IN-1k, 300 epochs). Paper result (COCO val2017):
# 49.3 APbox / 44.0 APmask.
#
# MoCo v3 released no ViT-L; mmpretrain publishes one (64xb64, 300 epochs):
# mocov3_vit-large-p16_64xb64-amp-coslr-300e_in1k-224_20220829-9b88a442.pth
# (https://download.openmmlab.com/mmselfsup/1.x/mocov3/mocov3_vit-large-p16_64xb64-amp-coslr-300e_in1k/mocov3_vit-large-p16_64xb64-amp-coslr-300e_in1k-224_20220829-9b88a442.pth),
# placed in the folder named by MMVITDET_CHECKPOINTS (default checkpoints/),
# or set model.backbone.init_cfg.checkpoint=PATH with --cfg-options.
_base_ = [
    '../_base_/models/mask-rcnn_vit-l_fpn.py',
    '../_base_/datasets/coco_instance_lsj-1024.py',
    # paper: pre-trained inits overfit past ~100 epochs (100 here, inferred)
    '../_base_/schedules/lsj-100e_adamw-cosine.py',
    '../_base_/default_runtime.py',
]
checkpoint_dir = '{{$MMVITDET_CHECKPOINTS:checkpoints}}/'

model = dict(
    # mmpretrain's MoCo v3 pre-trains with ImageNet mean/std (RGB).
    data_preprocessor=dict(
        mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375]),
    backbone=dict(
        # paper: abs embedding transferred, relative biases zero-initialized
        use_abs_pos_embed=True,
        use_rel_pos_bias='shared',
        rel_pos_zero_init=True,
        drop_path_rate=0.3,  # paper table: MoCo v3 dp 0.3 (ViT-L)
        init_cfg=dict(
            type='Pretrained',
            checkpoint=checkpoint_dir + 'mocov3_vit-large-p16_64xb64-amp-'
            'coslr-300e_in1k-224_20220829-9b88a442.pth',
            format='mmpretrain')))
optim_wrapper = dict(
    optimizer=dict(
        lr=1.6e-4,  # paper: ViT-L reuses ViT-B's lr (MoCo v3 1.6e-4)
        weight_decay=0.1))  # paper: ViT-L reuses ViT-B's wd (MoCo v3 0.1)
