# The paper's Mask R-CNN (Li et al. 2021) with the plain ViT-L/16 of DINOv3
# (Simeoni et al. 2025, LVD-1689M, distilled from the 7B teacher). Beyond the
# paper: no published result for this detector.
#
# Checkpoint: dinov3_vitl16_pretrain_lvd1689m-8aa4cbdd.pth (plain state dict),
# the official release of https://github.com/facebookresearch/dinov3 (gated:
# https://ai.meta.com/resources/models-and-libraries/dinov3-downloads/), in the
# folder named by MMVITDET_CHECKPOINTS (default checkpoints/).
#
# Block and position facts as the ViT-B config (every one restated here):
# RoPE kept as released, window blocks rotate by window coordinates (see
# mask-rcnn_vit-b-dinov3_fpn_lsj-100e_coco.py for the choice and its ablation).
# Hyper-parameters: the grid centre (configs/grids/dinov3_vit-l_stage2.py).
_base_ = [
    '../_base_/models/mask-rcnn_vit-l_fpn.py',
    '../_base_/datasets/coco_instance_lsj-1024.py',
    '../_base_/schedules/lsj-100e_adamw-cosine.py',
    '../_base_/default_runtime.py',
]
checkpoint_dir = '{{$MMVITDET_CHECKPOINTS:checkpoints}}/'

model = dict(
    # ImageNet mean/std, RGB (DINOv3 LVD-1689M weights)
    data_preprocessor=dict(
        mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375]),
    backbone=dict(
        patch_size=16,
        pretrain_img_size=256,  # 256-px pre-training crops: 16x16 tokens
        window_size=16,  # paper's rule: window = pre-training grid
        # global blocks (5, 11, 17, 23), taps, with_cp and dp 0.3 from the ViT-L base
        norm_eps=1e-5,
        norm_type='layer_norm',
        act_cfg=dict(type='GELU'),
        ffn_type='mlp',
        ffn_bias=True,
        ffn_sub_norm=False,
        qkv_bias='qv',  # the release masks the key third of its qkv bias
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
        init_cfg=dict(
            type='Pretrained',
            checkpoint=checkpoint_dir + 'dinov3_vitl16_pretrain_lvd1689m-8aa4cbdd.pth',
            format='dinov3')))
optim_wrapper = dict(
    optimizer=dict(
        lr=1.6e-4,  # paper protocol: grid centre lr 1.6e-4 (not tuned)
        weight_decay=0.1))  # paper protocol: grid centre wd 0.1 (not tuned)
