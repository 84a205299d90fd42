# The paper's Mask R-CNN (Li et al. 2021) with the plain ViT-L/14 of DINOv2
# (Oquab et al. 2023, LVD-142M, distilled from ViT-g/14). Beyond the paper: no
# published result for this detector.
#
# Checkpoint: dinov2_vitl14_pretrain.pth (plain state dict), the official
# release of https://github.com/facebookresearch/dinov2
# (https://dl.fbaipublicfiles.com/dinov2/dinov2_vitl14/dinov2_vitl14_pretrain.pth),
# placed in the folder named by MMVITDET_CHECKPOINTS (default checkpoints/),
# or set model.backbone.init_cfg.checkpoint=PATH with --cfg-options. The
# variant with registers (dinov2_vitl14_reg4_pretrain.pth) loads with the same
# config (its register tokens are dropped like the class token).
#
# Patch 14 at 1024 px (1024 is no multiple of 14): the 14x14 patch kernel is
# resized to 16x16 at load (patch_embed_resize='pinv', FlexiViT's
# pseudo-inverse resize, which maps a patch resized by 16/14 to the token the
# 14-px patch gave), so the detector is the paper's unchanged: stride 16, a
# 64x64 grid, the same pyramid, FPN and anchors. The native patch-14 detector
# (input padded to 1036 = 74 x 14, taps resampled to stride 16) is the
# ablation configs/ablations/patch14/ (see README, "Patch 14").
#
# Hyper-parameters: the paper gives none for DINOv2. lr / wd / drop path are
# the centre of the paper's protocol; ViT-L reuses ViT-B's lr / wd
# (configs/grids/dinov2_vit-b_stage1.py) and tunes drop path again
# (configs/grids/dinov2_vit-l_stage2.py).
_base_ = [
    '../_base_/models/mask-rcnn_vit-l_fpn.py',
    '../_base_/datasets/coco_instance_lsj-1024.py',
    # paper: pre-trained inits overfit past ~100 epochs (100 here, inferred)
    '../_base_/schedules/lsj-100e_adamw-cosine.py',
    '../_base_/default_runtime.py',
]
checkpoint_dir = '{{$MMVITDET_CHECKPOINTS:checkpoints}}/'

model = dict(
    # DINOv2 normalizes with ImageNet mean/std, RGB (dinov2/data/transforms.py,
    # IMAGENET_DEFAULT_MEAN / IMAGENET_DEFAULT_STD).
    data_preprocessor=dict(
        mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375]),
    backbone=dict(
        patch_size=16,  # the file's 14x14 kernel is resized to 16 at load
        # The file's position table is on the 37x37 grid of DINOv2's last
        # pre-training phase (518 px / 14); kept at 37x37 (= 592 px at patch
        # 16) rather than resized twice.
        pretrain_img_size=37 * 16,
        # paper's rule: window = pre-training grid. DINOv2 pre-trains at 224 px
        # (16x16 tokens of 14 px) and only for a short period at 518 at the
        # end (Oquab et al., "Adapting the resolution"); 16 also tiles the
        # 64x64 grid without padding.
        window_size=16,
        # global blocks: the paper's 4, one per d/4, (5, 11, 17, 23) from the base model
        # DINOv2's ViT (dinov2/models/vision_transformer.py, dinov2/layers/):
        # LayerNorm eps 1e-6, exact GELU MLP, qkv bias, layer scale (ls1/ls2,
        # init 1e-5 in training; the file's values are loaded), no norm before
        # the blocks, patch projection with bias.
        norm_eps=1e-6,
        act_cfg=dict(type='GELU'),
        qkv_bias=True,
        layer_scale_init_value=1e-5,
        pre_norm=False,
        patch_bias=True,
        # paper: abs embedding transferred (class slot cut, resized to the
        # input grid), relative biases added and zero-initialized
        use_abs_pos_embed=True,
        use_rel_pos_bias='shared',
        rel_pos_zero_init=True,
        drop_path_rate=0.3,  # the paper's ViT-L choice for every init
        init_cfg=dict(
            type='Pretrained',
            checkpoint=checkpoint_dir + 'dinov2_vitl14_pretrain.pth',
            format='dinov2',
            patch_embed_resize='pinv')))
optim_wrapper = dict(
    optimizer=dict(
        lr=1.6e-4,  # grid centre; paper protocol: ViT-L reuses ViT-B's lr
        weight_decay=0.1))  # grid centre; paper protocol: ViT-L reuses ViT-B's wd
