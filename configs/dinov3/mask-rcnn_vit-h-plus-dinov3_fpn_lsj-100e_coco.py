# The paper's Mask R-CNN (Li et al. 2021) with DINOv3's ViT-H+/16 (Simeoni et
# al. 2025: 32 blocks of width 1280, 20 heads, SwiGLU FFN; LVD-1689M). Beyond
# the paper: no published result for this detector.
#
# Checkpoint: dinov3_vith16plus_pretrain_lvd1689m-7c1da9a5.pth (plain state
# dict), the official release of https://github.com/facebookresearch/dinov3
# (gated: https://ai.meta.com/resources/models-and-libraries/dinov3-downloads/),
# in the folder named by MMVITDET_CHECKPOINTS (default checkpoints/).
#
# Position as the ViT-B config (RoPE as released, window coordinates in window
# blocks). Hyper-parameters: untuned; the ViT-L grid centre with drop path one
# step above ViT-L's 0.3.
_base_ = [
    '../_base_/models/mask-rcnn_vit-l_fpn.py',
    '../_base_/datasets/coco_instance_lsj-1024.py',
    '../_base_/schedules/lsj-100e_adamw-cosine.py',
    '../_base_/default_runtime.py',
]
checkpoint_dir = '{{$MMVITDET_CHECKPOINTS:checkpoints}}/'
vit_width = 1280  # ViT-H+

model = dict(
    data_preprocessor=dict(
        mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375]),
    backbone=dict(
        # embed 1280, depth 32, 20 heads; SwiGLU hidden width 5120, as timm
        # 1.0's vit_huge_plus_patch16_dinov3 builds it (it loads this release
        # strictly). The weights decide: another width is a load error naming
        # feedforward_channels.
        arch=dict(_delete_=True, embed_dims=1280, num_layers=32, num_heads=20, feedforward_channels=5120),
        patch_size=16,
        pretrain_img_size=256,
        window_size=16,
        global_attn_indices=(7, 15, 23, 31),  # paper: 4 global blocks, one per d/4
        out_indices=(7, 15, 23, 31),
        norm_eps=1e-5,
        norm_type='layer_norm',
        act_cfg=dict(type='GELU'),  # unused by SwiGLU (SiLU gate)
        ffn_type='swiglu',
        ffn_bias=True,
        ffn_sub_norm=False,
        qkv_bias='qv',
        proj_bias=True,
        layer_scale_init_value=1e-5,
        pre_norm=False,
        patch_bias=True,
        patch_norm=False,
        rope=dict(base=100, coords='centered', offset=0., axis_order='yx', rotation='half',
                  window_coords='window'),
        use_abs_pos_embed=False,
        use_rel_pos_bias='shared',
        rel_pos_zero_init=True,
        drop_path_rate=0.4,  # one step above ViT-L's 0.3 (ViTDet: ViT-H 0.5); untuned
        with_cp=True,  # ViT-H at 1024 needs activation checkpointing (as SAM ViT-H)
        init_cfg=dict(
            type='Pretrained',
            checkpoint=checkpoint_dir + 'dinov3_vith16plus_pretrain_lvd1689m-7c1da9a5.pth',
            format='dinov3')),
    neck=[  # a list is replaced whole: the ViT-L base's two modules at width 1280
        dict(
            type='ResolutionAdapter',
            in_channels=vit_width,
            scale_factors=(4.0, 2.0, 1.0, 0.5),
            norm_cfg=dict(type='GN', num_groups=32)),  # paper: GN in the 4x module
        dict(
            type='FPN',
            in_channels=[vit_width] * 4,
            out_channels=256,
            num_outs=5,
            norm_cfg=dict(type='SyncBN', requires_grad=True)),  # paper: BN in the FPN
    ])
optim_wrapper = dict(
    optimizer=dict(
        lr=1.6e-4,  # paper protocol: grid centre lr 1.6e-4 (not tuned)
        weight_decay=0.1))  # paper protocol: grid centre wd 0.1 (not tuned)
