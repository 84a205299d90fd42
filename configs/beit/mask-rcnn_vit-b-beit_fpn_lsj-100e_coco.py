# Li et al. 2021, BEiT init, ViT-B: Mask R-CNN with a plain ViT-B/16 from BEiT
# pre-training on IN-1k (DALL-E tokenizer targets). Paper result (COCO
# val2017): 49.8 APbox / 44.4 APmask.
#
# The paper's BEiT-B (800 epochs, official code, trained by the authors) is
# not public, and the official BEiT release is IN-22k. The public IN-1k-only
# BEiT-B is mmpretrain's (300 epochs):
# beit_vit-base-p16_8xb256-amp-coslr-300e_in1k_20221128-ab79e626.pth
# (https://download.openmmlab.com/mmselfsup/1.x/beit/beit_vit-base-p16_8xb256-amp-coslr-300e_in1k/beit_vit-base-p16_8xb256-amp-coslr-300e_in1k_20221128-ab79e626.pth),
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
    # mmpretrain's BEiT pre-training feeds the ViT ImageNet mean/std (RGB);
    # for the official BEiT code's files use mean=std=127.5 (see the ViT-L).
    data_preprocessor=dict(
        mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375]),
    backbone=dict(
        # paper: BEiT's pre-trained relative biases transferred (shared
        # table, resized to the window and global grids), abs embedding
        # added and randomly initialized (BEiT pre-trains without one),
        # BEiT's layer scale kept
        use_abs_pos_embed=True,
        use_rel_pos_bias='shared',
        rel_pos_zero_init=False,
        qkv_bias='qv',  # BEiT: q and v biases, no k bias
        layer_scale_init_value=0.1,  # BEiT-B's layer scale (loaded)
        drop_path_rate=0.1,  # paper table: BEiT dp 0.1 (ViT-B)
        init_cfg=dict(
            type='Pretrained',
            checkpoint=checkpoint_dir + 'beit_vit-base-p16_8xb256-amp-coslr-'
            '300e_in1k_20221128-ab79e626.pth',
            format='mmpretrain')))
optim_wrapper = dict(
    optimizer=dict(
        lr=8e-5,  # paper table: BEiT lr 8e-5
        weight_decay=0.1))  # paper table: BEiT wd 0.1
