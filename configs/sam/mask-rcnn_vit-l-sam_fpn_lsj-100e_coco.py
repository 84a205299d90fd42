# SAM's image encoder as an initialization, ViT-L (see the ViT-B config).
# The lr / wd are the paper's stage-1 grid centre until a SAM grid has run.
#
# Checkpoint: sam_vit_l_0b3195.pth (https://github.com/facebookresearch/segment-anything,
# https://dl.fbaipublicfiles.com/segment_anything/sam_vit_l_0b3195.pth) in the
# folder named by MMVITDET_CHECKPOINTS (default checkpoints/).
_base_ = [
    '../_base_/models/mask-rcnn_vit-l_fpn.py',
    '../_base_/datasets/coco_instance_lsj-1024.py',
    '../_base_/schedules/lsj-100e_adamw-cosine.py',
    '../_base_/default_runtime.py',
]
checkpoint_dir = '{{$MMVITDET_CHECKPOINTS:checkpoints}}/'

model = dict(
    data_preprocessor=dict(  # SAM: ImageNet mean/std (RGB)
        mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375]),
    backbone=dict(
        pretrain_img_size=1024,  # SAM: 1024 px, abs position on a 64x64 grid
        window_size=14,  # SAM: 14x14 windows
        global_attn_indices=(5, 11, 17, 23),  # SAM ViT-L: global_attn_indexes
        use_abs_pos_embed=True,  # transferred as for every init
        use_rel_pos_bias='decomposed',  # SAM's pre-trained tables, transferred
        rel_pos_zero_init=True,
        qkv_bias=True,
        norm_eps=1e-6,  # SAM: LayerNorm eps 1e-6
        act_cfg=dict(type='GELU'),  # SAM: exact GELU
        drop_path_rate=0.3,  # paper table: dp 0.3 for every ViT-L init
        init_cfg=dict(
            type='Pretrained',
            checkpoint=checkpoint_dir + 'sam_vit_l_0b3195.pth',
            format='sam')))
optim_wrapper = dict(
    optimizer=dict(
        lr=1.6e-4,  # the paper's stage-1 grid centre (not yet tuned for SAM)
        weight_decay=0.1))  # the paper's stage-1 grid centre
