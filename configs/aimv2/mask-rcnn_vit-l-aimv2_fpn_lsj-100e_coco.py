# The paper's Mask R-CNN (Li et al. 2021) with the image encoder of AIMv2-L/14
# (Fini et al. 2025, multimodal autoregressive pre-training). Beyond the
# paper: no published result for this detector.
#
# Checkpoint: the model folder apple/aimv2-large-patch14-224
# (https://huggingface.co/apple/aimv2-large-patch14-224; model.safetensors in
# the names of https://github.com/apple/ml-aim), placed as the folder
# aimv2-large-patch14-224/ in the one named by MMVITDET_CHECKPOINTS (default
# checkpoints/). A folder saved by transformers' Aimv2VisionModel loads with
# format='hf_aimv2'.
#
# Patch 14 at 1024 px: the kernel is resized to 16x16 at load ('pinv'); the
# 16x16 abs table (224 / 14, no class slot) is transferred at its grid
# (paper's rule); relative biases are added zero-initialized. AIMv2 has no
# RoPE and no class token. Hyper-parameters: the grid centre
# (configs/grids/aimv2_vit-l_stage1.py).
_base_ = [
    '../_base_/models/mask-rcnn_vit-l_fpn.py',
    '../_base_/datasets/coco_instance_lsj-1024.py',
    '../_base_/schedules/lsj-100e_adamw-cosine.py',
    '../_base_/default_runtime.py',
]
checkpoint_dir = '{{$MMVITDET_CHECKPOINTS:checkpoints}}/'

model = dict(
    # AIMv2 normalizes with OpenAI CLIP's mean/std, RGB (the release's
    # preprocessor_config.json; timm aimv2 configs), x 255.
    data_preprocessor=dict(
        mean=[122.771, 116.746, 104.094], std=[68.501, 66.632, 70.323]),
    backbone=dict(
        # AIMv2-L: width 1024, 24 blocks, 8 heads of 128, SwiGLU hidden 2816
        # (ml-aim aimv2_large; timm aimv2_large_patch14_224: mlp_ratio 2.75)
        arch=dict(_delete_=True, embed_dims=1024, num_layers=24, num_heads=8, feedforward_channels=2816),
        patch_size=16,  # the file's 14x14 kernel is resized to 16 at load
        pretrain_img_size=16 * 16,  # 224 / 14 = 16x16 grid, kept at patch 16
        window_size=16,  # paper's rule: window = pre-training grid
        # global blocks (5, 11, 17, 23), taps, with_cp and dp 0.3 from the ViT-L base
        # AIMv2's encoder: RMSNorm eps 1e-5 everywhere, also right after the
        # patch embedding; SwiGLU fc2(silu(fc1 x) * fc3 x) without biases;
        # attention without qkv or output biases; no layer scale; patch
        # projection with bias.
        norm_eps=1e-5,
        norm_type='rms_norm',
        patch_norm=True,
        act_cfg=dict(type='GELU'),  # unused by SwiGLU
        ffn_type='swiglu',
        ffn_bias=False,
        ffn_sub_norm=False,
        qkv_bias=False,
        proj_bias=False,
        layer_scale_init_value=None,
        pre_norm=False,
        patch_bias=True,
        rope=None,
        use_abs_pos_embed=True,
        use_rel_pos_bias='shared',
        rel_pos_zero_init=True,
        init_cfg=dict(
            type='Pretrained',
            checkpoint=checkpoint_dir + 'aimv2-large-patch14-224',
            format='aimv2',
            patch_embed_resize='pinv')))
optim_wrapper = dict(
    optimizer=dict(
        lr=1.6e-4,  # paper protocol: grid centre lr 1.6e-4 (not tuned)
        weight_decay=0.1),  # paper protocol: grid centre wd 0.1 (not tuned)
    # paper: no weight decay on norms. mmengine's norm_decay_mult knows LayerNorm / BN / GN but not
    # RMSNorm, so AIMv2's norms are named here (merged into the base schedule's custom_keys).
    paramwise_cfg=dict(custom_keys={
        'norm1': dict(decay_mult=0.),
        'norm2': dict(decay_mult=0.),
        'patch_norm': dict(decay_mult=0.),
    }))
