# The paper's Mask R-CNN (Li et al. 2021) with the image tower of SigLIP 2
# ViT-B/16 at fixed resolution (Tschannen et al. 2025: SigLIP's sigmoid loss
# plus captioning, self-distillation and masked prediction; WebLI). Beyond the
# paper: no published result for this detector.
#
# Checkpoint: the Hugging Face model folder google/siglip2-base-patch16-224
# (config.json with model_type "siglip" + model.safetensors;
# https://huggingface.co/google/siglip2-base-patch16-224), the official port of
# https://github.com/google-research/big_vision, placed as the folder
# siglip2-base-patch16-224/ in the one named by MMVITDET_CHECKPOINTS (default checkpoints/).
# The fixed-resolution SigLIP 2 models keep SigLIP's architecture, so the
# layout, the block facts and the paper's position rule are SigLIP's
# (configs/siglip/); the NaFlex variants are not plain ViTs at a fixed grid.
# Text tower and attention-pooling head are dropped at load.
#
# Hyper-parameters: the grid centre (configs/grids/siglip2_vit-b_stage1.py).
_base_ = '../siglip/mask-rcnn_vit-b-siglip_fpn_lsj-100e_coco.py'
checkpoint_dir = '{{$MMVITDET_CHECKPOINTS:checkpoints}}/'

model = dict(
    # SigLIP 2 maps RGB pixels to [-1, 1] (preprocessor_config.json: mean = std = 0.5), x 255
    data_preprocessor=dict(mean=[127.5] * 3, std=[127.5] * 3),
    backbone=dict(
        patch_size=16,
        pretrain_img_size=224,  # this release pre-trains at 224 px: 14x14 grid
        window_size=14,  # paper's rule: window = pre-training grid
        # SiglipVisionConfig of the release: LayerNorm eps 1e-6, tanh-GELU MLP
        # (gelu_pytorch_tanh) with biases, qkv and output biases, no class
        # token, no layer scale, no pre-norm, patch projection with bias, no RoPE.
        norm_eps=1e-6,
        norm_type='layer_norm',
        act_cfg=dict(type='GELU', approximate='tanh'),
        ffn_type='mlp',
        ffn_bias=True,
        ffn_sub_norm=False,
        qkv_bias=True,
        proj_bias=True,
        layer_scale_init_value=None,
        pre_norm=False,
        patch_bias=True,
        patch_norm=False,
        rope=None,
        use_abs_pos_embed=True,
        use_rel_pos_bias='shared',
        rel_pos_zero_init=True,
        init_cfg=dict(
            type='Pretrained',
            checkpoint=checkpoint_dir + 'siglip2-base-patch16-224',
            format='hf_clip')))
optim_wrapper = dict(
    optimizer=dict(
        lr=1.6e-4,  # paper protocol: grid centre lr 1.6e-4 (not tuned)
        weight_decay=0.1))  # paper protocol: grid centre wd 0.1 (not tuned)
