# SAM's image encoder as an initialization, ViT-B: Mask R-CNN of Li et al. 2021
# (resolution adapter + FPN, BN heads) with the encoder of Segment Anything
# (Kirillov et al. 2023): MAE-initialised ViT-B/16 trained on SA-1B at 1024 px,
# 14x14 windows, 4 global blocks, decomposed relative position per block.
# The lr / wd / dp are the centre of configs/grids/sam_vit-b_stage1.py (the
# paper's stage-1 centre, lr 1.6e-4 / wd 0.1) until the grid has been run.
#
# Checkpoint: sam_vit_b_01ec64.pth (https://github.com/facebookresearch/segment-anything,
# https://dl.fbaipublicfiles.com/segment_anything/sam_vit_b_01ec64.pth) in the
# folder named by MMVITDET_CHECKPOINTS (default checkpoints/); the whole SAM
# model: image_encoder.* is loaded, prompt encoder, mask decoder and the
# encoder's neck are dropped (the load report lists them). A Hugging Face
# SamModel folder (facebook/sam-vit-base, vision_encoder.*) loads the same.
_base_ = [
    '../_base_/models/mask-rcnn_vit-b_fpn.py',
    '../_base_/datasets/coco_instance_lsj-1024.py',
    '../_base_/schedules/lsj-100e_adamw-cosine.py',
    '../_base_/default_runtime.py',
]
checkpoint_dir = '{{$MMVITDET_CHECKPOINTS:checkpoints}}/'

model = dict(
    # SAM normalizes with ImageNet mean/std (RGB, segment_anything/modeling/sam.py)
    data_preprocessor=dict(
        mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375]),
    backbone=dict(
        pretrain_img_size=1024,  # SAM: 1024 px, abs position on a 64x64 grid
        window_size=14,  # SAM: 14x14 windows
        global_attn_indices=(2, 5, 8, 11),  # SAM ViT-B: global_attn_indexes
        # Position rule: the abs embedding is transferred as for every init
        # (at 1024 no resize); SAM's decomposed tables are pre-trained, so they
        # are transferred (resized linearly where a length differs), as the
        # paper transfers BEiT's relative table.
        use_abs_pos_embed=True,
        use_rel_pos_bias='decomposed',
        rel_pos_zero_init=True,  # only for tables the file lacks (none)
        qkv_bias=True,
        norm_eps=1e-6,  # SAM: LayerNorm eps 1e-6
        act_cfg=dict(type='GELU'),  # SAM: exact GELU
        drop_path_rate=0.1,  # stage-2 centre of the paper's protocol for ViT-B
        init_cfg=dict(
            type='Pretrained',
            checkpoint=checkpoint_dir + 'sam_vit_b_01ec64.pth',
            format='sam')))
optim_wrapper = dict(
    optimizer=dict(
        lr=1.6e-4,  # the paper's stage-1 grid centre (not yet tuned for SAM)
        weight_decay=0.1))  # the paper's stage-1 grid centre
