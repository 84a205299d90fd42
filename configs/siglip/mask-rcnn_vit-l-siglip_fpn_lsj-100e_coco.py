# The paper's Mask R-CNN (Li et al. 2021) with the image tower of SigLIP
# ViT-L/16 (Zhai et al. 2023, sigmoid image-text loss, WebLI). Beyond the
# paper: no published result for this detector.
#
# Checkpoint: the Hugging Face model folder google/siglip-large-patch16-256
# (config.json + model.safetensors, SiglipModel; https://huggingface.co/google/siglip-large-patch16-256),
# the official port of https://github.com/google-research/big_vision, placed
# as the folder siglip-large-patch16-256/ in the one named by
# MMVITDET_CHECKPOINTS (default checkpoints/), or set
# model.backbone.init_cfg.checkpoint=PATH with --cfg-options. The text tower
# and the attention-pooling head (vision_model.head) are dropped at load.
# SigLIP's L/16 is released at 256 px (16x16 grid; no 224-px L/16); the 384-px
# one needs pretrain_img_size and window_size set to its 24x24 grid.
#
# Hyper-parameters: the paper gives none for SigLIP. lr / wd / drop path are
# the centre of the paper's protocol; ViT-L reuses ViT-B's lr / wd
# (configs/grids/siglip_vit-b_stage1.py) and tunes drop path again
# (configs/grids/siglip_vit-l_stage2.py).
_base_ = [
    '../_base_/models/mask-rcnn_vit-l_fpn.py',
    '../_base_/datasets/coco_instance_lsj-1024.py',
    # paper: pre-trained inits overfit past ~100 epochs (100 here, inferred)
    '../_base_/schedules/lsj-100e_adamw-cosine.py',
    '../_base_/default_runtime.py',
]
checkpoint_dir = '{{$MMVITDET_CHECKPOINTS:checkpoints}}/'

model = dict(
    # SigLIP maps RGB pixels to [-1, 1]: mean = std = 0.5 (the release's
    # preprocessor_config.json), times 255.
    data_preprocessor=dict(mean=[127.5] * 3, std=[127.5] * 3),
    backbone=dict(
        patch_size=16,
        pretrain_img_size=256,  # this release pre-trains at 256: 16x16 grid
        window_size=16,  # paper's rule: window = pre-training grid
        # SigLIP's vision tower (big_vision models/vit.py; transformers
        # SiglipVisionConfig): LayerNorm eps 1e-6, tanh-approximated GELU,
        # qkv bias, no class token, no layer scale, no pre-norm, patch bias.
        norm_eps=1e-6,
        act_cfg=dict(type='GELU', approximate='tanh'),
        qkv_bias=True,
        layer_scale_init_value=None,
        pre_norm=False,
        patch_bias=True,
        # paper: abs embedding transferred (16x16 -> 64x64), relative biases
        # added and zero-initialized (non-BEiT init)
        use_abs_pos_embed=True,
        use_rel_pos_bias='shared',
        rel_pos_zero_init=True,
        drop_path_rate=0.3,  # the paper's ViT-L choice for every init
        init_cfg=dict(
            type='Pretrained',
            checkpoint=checkpoint_dir + 'siglip-large-patch16-256',
            format='hf_clip')))
optim_wrapper = dict(
    optimizer=dict(
        lr=1.6e-4,  # grid centre; paper protocol: ViT-L reuses ViT-B's lr
        weight_decay=0.1))  # grid centre; paper protocol: ViT-L reuses ViT-B's wd
