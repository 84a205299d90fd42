# Li et al. 2021, random init, ViT-B: Mask R-CNN with a plain ViT-B/16 trained
# from scratch (BEiT-code ViT init; detector parts at their defaults).
# Paper result (COCO val2017): 48.9 APbox / 43.6 APmask.
_base_ = [
    '../_base_/models/mask-rcnn_vit-b_fpn.py',
    '../_base_/datasets/coco_instance_lsj-1024.py',
    # paper: random init trains 100 / 200 / 400 epochs and overfits only past
    # ~400, so 400 is its best length (inferred)
    '../_base_/schedules/lsj-400e_adamw-cosine.py',
    '../_base_/default_runtime.py',
]

model = dict(
    # ImageNet mean/std (RGB), as for the pre-trained inits.
    data_preprocessor=dict(
        mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375]),
    backbone=dict(
        # paper: abs embedding and relative biases, like every init; both
        # start from the random init (tables at zero)
        use_abs_pos_embed=True,
        use_rel_pos_bias='shared',
        rel_pos_zero_init=True,
        drop_path_rate=0.1,  # paper table: random dp 0.1 (ViT-B)
        init_cfg=None))
optim_wrapper = dict(
    optimizer=dict(
        lr=1.6e-4,  # paper table: random lr 1.6e-4
        weight_decay=0.2))  # paper table: random wd 0.2
