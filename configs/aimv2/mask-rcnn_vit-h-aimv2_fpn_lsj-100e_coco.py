# The paper's Mask R-CNN (Li et al. 2021) with the image encoder of AIMv2-H/14
# (Fini et al. 2025: 24 blocks of width 1536, 12 heads of 128). Beyond the
# paper: no published result for this detector.
#
# Checkpoint: the model folder apple/aimv2-huge-patch14-224
# (https://huggingface.co/apple/aimv2-huge-patch14-224), placed as
# aimv2-huge-patch14-224/ in the folder named by MMVITDET_CHECKPOINTS.
#
# Block and position facts as the AIMv2-L config (restated below).
# Hyper-parameters: untuned; the ViT-L grid centre with drop path one step
# above ViT-L's 0.3.
_base_ = './mask-rcnn_vit-l-aimv2_fpn_lsj-100e_coco.py'
checkpoint_dir = '{{$MMVITDET_CHECKPOINTS:checkpoints}}/'
vit_width = 1536  # AIMv2-H

model = dict(
    backbone=dict(
        # ml-aim aimv2_huge; timm aimv2_huge_patch14_224: mlp_ratio 2.6667 -> 4096
        arch=dict(embed_dims=1536, num_layers=24, num_heads=12, feedforward_channels=4096),
        global_attn_indices=(5, 11, 17, 23),  # paper: 4 global blocks, one per d/4 (24 blocks)
        out_indices=(5, 11, 17, 23),
        norm_eps=1e-5,
        norm_type='rms_norm',
        patch_norm=True,
        ffn_type='swiglu',
        ffn_bias=False,
        ffn_sub_norm=False,
        qkv_bias=False,
        proj_bias=False,
        layer_scale_init_value=None,
        rope=None,
        drop_path_rate=0.4,  # one step above ViT-L's 0.3; untuned
        with_cp=True,
        init_cfg=dict(checkpoint=checkpoint_dir + 'aimv2-huge-patch14-224')),
    neck=[  # a list is replaced whole: the two modules at width 1536
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
