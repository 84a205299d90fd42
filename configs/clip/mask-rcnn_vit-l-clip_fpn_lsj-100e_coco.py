# The paper's Mask R-CNN (Li et al. 2021) with the image tower of OpenAI's CLIP
# ViT-L/14 (Radford et al. 2021, contrastive image-text pre-training on 400M
# pairs). Beyond the paper: no published result for this detector.
#
# Checkpoint: ViT-L-14.pt, the official release of
# https://github.com/openai/CLIP
# (https://openaipublic.azureedge.net/clip/models/b8cca3fd41ae0c99ba7e8951adf17d267cdb84cd88be6f7c2e0eca1737a03836/ViT-L-14.pt),
# placed in the folder named by MMVITDET_CHECKPOINTS (default checkpoints/),
# or set model.backbone.init_cfg.checkpoint=PATH with --cfg-options. The text
# tower, ln_post, proj and logit_scale are dropped at load. OpenCLIP ViT-L-14
# files use the same layout; most were trained with exact GELU: set
# act_cfg=dict(type='GELU') for them (OpenCLIP marks the QuickGELU ones:
# "-quickgelu" model names).
#
# Patch 14 at 1024 px (1024 is no multiple of 14): the 14x14 patch kernel is
# resized to 16x16 at load (patch_embed_resize='pinv', FlexiViT's
# pseudo-inverse resize), so the detector is the paper's unchanged: stride 16,
# a 64x64 grid, the same pyramid, FPN and anchors (see README, "Patch 14").
#
# Hyper-parameters: the paper gives none for CLIP. lr / wd / drop path are the
# centre of the paper's protocol; ViT-L reuses ViT-B's lr / wd
# (configs/grids/clip_vit-b_stage1.py) and tunes drop path again
# (configs/grids/clip_vit-l_stage2.py).
_base_ = [
    '../_base_/models/mask-rcnn_vit-l_fpn.py',
    '../_base_/datasets/coco_instance_lsj-1024.py',
    # paper: pre-trained inits overfit past ~100 epochs (100 here, inferred)
    '../_base_/schedules/lsj-100e_adamw-cosine.py',
    '../_base_/default_runtime.py',
]
checkpoint_dir = '{{$MMVITDET_CHECKPOINTS:checkpoints}}/'

model = dict(
    # CLIP's own RGB statistics (clip/clip.py, _transform), times 255.
    data_preprocessor=dict(
        mean=[122.771, 116.746, 104.094], std=[68.501, 66.632, 70.323]),
    backbone=dict(
        patch_size=16,  # the file's 14x14 kernel is resized to 16 at load
        # CLIP ViT-L/14 pre-trains at 224: a 16x16 grid of 14-px patches,
        # kept as 16x16 (= 256 px at patch 16).
        pretrain_img_size=16 * 16,
        window_size=16,  # paper's rule: window = pre-training grid (16x16)
        # global blocks: the paper's 4, one per d/4, (5, 11, 17, 23) from the base model
        # OpenAI CLIP's VisionTransformer (clip/model.py): LayerNorm eps 1e-5
        # (torch's default), QuickGELU, ln_pre, conv1 without bias, qkv bias,
        # no layer scale.
        norm_eps=1e-5,
        act_cfg=dict(type='QuickGELU'),
        qkv_bias=True,
        layer_scale_init_value=None,
        pre_norm=True,
        patch_bias=False,
        # paper: abs embedding transferred (class slot cut, resized to the
        # input grid), relative biases added and zero-initialized
        use_abs_pos_embed=True,
        use_rel_pos_bias='shared',
        rel_pos_zero_init=True,
        drop_path_rate=0.3,  # the paper's ViT-L choice for every init
        init_cfg=dict(
            type='Pretrained',
            checkpoint=checkpoint_dir + 'ViT-L-14.pt',
            format='clip',
            patch_embed_resize='pinv')))
optim_wrapper = dict(
    optimizer=dict(
        lr=1.6e-4,  # grid centre; paper protocol: ViT-L reuses ViT-B's lr
        weight_decay=0.1))  # grid centre; paper protocol: ViT-L reuses ViT-B's wd
