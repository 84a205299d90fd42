# The paper's Mask R-CNN (Li et al. 2021) with the image tower of OpenAI's CLIP
# ViT-B/16 (Radford et al. 2021, contrastive image-text pre-training on 400M
# pairs). Beyond the paper: no published result for this detector.
#
# Checkpoint: ViT-B-16.pt, the official release of
# https://github.com/openai/CLIP
# (https://openaipublic.azureedge.net/clip/models/5806e77cd80f8b59890b7e101eabd078d9fb84e6937f9e85e4ecb61988df416f/ViT-B-16.pt),
# placed in the folder named by MMVITDET_CHECKPOINTS (default checkpoints/),
# or set model.backbone.init_cfg.checkpoint=PATH with --cfg-options. The text
# tower, ln_post, proj and logit_scale are dropped at load. OpenCLIP files of
# this architecture (open_clip_pytorch_model.bin) use the same layout, but most
# non-OpenAI weights were trained with exact GELU: set act_cfg=dict(type='GELU')
# for them (OpenCLIP marks the QuickGELU ones: "-quickgelu" model names).
#
# Hyper-parameters: the paper gives none for CLIP. lr / wd / drop path are the
# centre of the paper's protocol (configs/grids/clip_vit-b_stage1.py); run the
# grid to tune them.
_base_ = [
    '../_base_/models/mask-rcnn_vit-b_fpn.py',
    '../_base_/datasets/coco_instance_lsj-1024.py',
    # paper: pre-trained inits overfit past ~100 epochs (100 here, inferred)
    '../_base_/schedules/lsj-100e_adamw-cosine.py',
    '../_base_/default_runtime.py',
]
checkpoint_dir = '{{$MMVITDET_CHECKPOINTS:checkpoints}}/'

model = dict(
    # CLIP's own RGB statistics (clip/clip.py, _transform: Normalize(
    # (0.48145466, 0.4578275, 0.40821073), (0.26862954, 0.26130258,
    # 0.27577711))), times 255.
    data_preprocessor=dict(
        mean=[122.771, 116.746, 104.094], std=[68.501, 66.632, 70.323]),
    backbone=dict(
        patch_size=16,
        pretrain_img_size=224,  # CLIP ViT-B/16 pre-trains at 224: 14x14 grid
        window_size=14,  # paper's rule: window = pre-training grid
        # OpenAI CLIP's VisionTransformer (clip/model.py): LayerNorm with
        # torch's default eps 1e-5, QuickGELU (x * sigmoid(1.702 x)) in the
        # MLP, ln_pre after patch + position embedding, conv1 without bias,
        # attention in_proj with bias, no layer scale.
        norm_eps=1e-5,
        act_cfg=dict(type='QuickGELU'),
        qkv_bias=True,
        layer_scale_init_value=None,
        pre_norm=True,
        patch_bias=False,
        # paper: abs embedding transferred (class slot cut, 14x14 -> 64x64),
        # relative biases added and zero-initialized (non-BEiT init)
        use_abs_pos_embed=True,
        use_rel_pos_bias='shared',
        rel_pos_zero_init=True,
        drop_path_rate=0.1,  # grid centre: the paper's ViT-B choice for every init
        init_cfg=dict(
            type='Pretrained',
            checkpoint=checkpoint_dir + 'ViT-B-16.pt',
            format='clip')))
optim_wrapper = dict(
    optimizer=dict(
        lr=1.6e-4,  # paper protocol: grid centre lr 1.6e-4 (not tuned)
        weight_decay=0.1))  # paper protocol: grid centre wd 0.1 (not tuned)
