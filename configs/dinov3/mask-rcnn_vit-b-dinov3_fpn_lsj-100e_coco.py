# The paper's Mask R-CNN (Li et al. 2021) with the plain ViT-B/16 of DINOv3
# (Simeoni et al. 2025, LVD-1689M, distilled from the 7B teacher). Beyond the
# paper: no published result for this detector.
#
# Checkpoint: dinov3_vitb16_pretrain_lvd1689m-73cec8be.pth (plain state dict),
# the official release of https://github.com/facebookresearch/dinov3 (gated:
# request the download links at
# https://ai.meta.com/resources/models-and-libraries/dinov3-downloads/),
# placed in the folder named by MMVITDET_CHECKPOINTS (default checkpoints/),
# or set model.backbone.init_cfg.checkpoint=PATH with --cfg-options. The
# Hugging Face folder facebook/dinov3-vitb16-pretrain-lvd1689m loads with
# format='hf_dinov3'.
#
# Position: DINOv3 has no abs embedding, only a 2-D RoPE on q and k (kept as
# released: base 100, the file's bf16-rounded periods, centred coordinates in
# [-1, 1], rows then columns, half rotation). Window blocks rotate by the
# coordinates within their 16x16 window, each window seen as a
# pre-training-sized crop (EVA-02's detection code does the same with its
# RoPE); global blocks by the coordinates over the whole 64x64 grid, which
# DINOv3 normalizes to [-1, 1] at any resolution. The other choice (whole-
# image coordinates in window blocks too) is
# configs/ablations/position/mask-rcnn_vit-b-dinov3-rope-image-coords_fpn_lsj-100e_coco.py.
# Relative biases are added zero-initialized, as for every non-BEiT init.
#
# Hyper-parameters: the paper gives none for DINOv3. lr / wd / drop path are
# the centre of the paper's protocol (configs/grids/dinov3_vit-b_stage1.py);
# run the grid to tune them.
_base_ = [
    '../_base_/models/mask-rcnn_vit-b_fpn.py',
    '../_base_/datasets/coco_instance_lsj-1024.py',
    # paper: pre-trained inits overfit past ~100 epochs (100 here, inferred)
    '../_base_/schedules/lsj-100e_adamw-cosine.py',
    '../_base_/default_runtime.py',
]
checkpoint_dir = '{{$MMVITDET_CHECKPOINTS:checkpoints}}/'

model = dict(
    # DINOv3 (LVD-1689M weights) normalizes with ImageNet mean/std, RGB
    # (dinov3 README, make_transform: IMAGENET mean/std).
    data_preprocessor=dict(
        mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375]),
    backbone=dict(
        patch_size=16,
        # DINOv3 pre-trains on 256-px global crops (16x16 tokens) before its
        # high-resolution phase; no abs table to keep, so this only sets the
        # window (paper's rule: window = pre-training grid; 16 tiles 64).
        pretrain_img_size=256,
        window_size=16,
        # global blocks: the paper's 4, one per d/4, (2, 5, 8, 11) from the base model
        # DINOv3's ViT (dinov3/models/vision_transformer.py, dinov3/layers/):
        # LayerNorm eps 1e-5, exact-GELU MLP with biases, a qkv bias whose key
        # third is masked (qkv.bias_mask) = q and v biases, layer scale
        # (ls1/ls2; the file's values are loaded), no norm before the blocks,
        # patch projection with bias, output projection with bias.
        norm_eps=1e-5,
        norm_type='layer_norm',
        act_cfg=dict(type='GELU'),
        ffn_type='mlp',
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
        # paper's rule for what the file lacks: relative biases added and
        # zero-initialized; no abs embedding (the release's position is RoPE)
        use_abs_pos_embed=False,
        use_rel_pos_bias='shared',
        rel_pos_zero_init=True,
        drop_path_rate=0.1,  # grid centre: the paper's ViT-B choice for every init
        init_cfg=dict(
            type='Pretrained',
            checkpoint=checkpoint_dir + 'dinov3_vitb16_pretrain_lvd1689m-73cec8be.pth',
            format='dinov3')))
optim_wrapper = dict(
    optimizer=dict(
        lr=1.6e-4,  # paper protocol: grid centre lr 1.6e-4 (not tuned)
        weight_decay=0.1))  # paper protocol: grid centre wd 0.1 (not tuned)
