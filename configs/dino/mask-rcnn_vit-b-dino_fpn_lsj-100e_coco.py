# The paper's Mask R-CNN (Li et al. 2021) with the plain ViT-B/16 of DINO
# (Caron et al. 2021, self-distillation, IN-1k, 400 epochs). Beyond the paper:
# no published result for this detector.
#
# Checkpoint: dino_vitbase16_pretrain.pth (the teacher backbone, a plain state
# dict), the official release of https://github.com/facebookresearch/dino
# (https://dl.fbaipublicfiles.com/dino/dino_vitbase16_pretrain/dino_vitbase16_pretrain.pth),
# placed in the folder named by MMVITDET_CHECKPOINTS (default checkpoints/),
# or set model.backbone.init_cfg.checkpoint=PATH with --cfg-options. The full
# training checkpoint (dino_vitbase16_pretrain_full_checkpoint.pth) loads too:
# its teacher is taken, as DINO's own evaluations do.
#
# Hyper-parameters: the paper gives none for DINO. lr / wd / drop path are the
# centre of the paper's protocol (configs/grids/dino_vit-b_stage1.py); run the
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
    # DINO normalizes with ImageNet mean/std, RGB (dino/main_dino.py,
    # DataAugmentationDINO: Normalize((0.485, 0.456, 0.406),
    # (0.229, 0.224, 0.225))).
    data_preprocessor=dict(
        mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375]),
    backbone=dict(
        patch_size=16,
        pretrain_img_size=224,  # DINO pre-trains at 224: 14x14 grid
        window_size=14,  # paper's rule: window = pre-training grid
        # DINO's ViT (dino/vision_transformer.py, vit_base): timm-style
        # blocks, LayerNorm eps 1e-6, exact GELU, qkv bias, no layer scale,
        # no norm before the blocks, patch projection with bias.
        norm_eps=1e-6,
        act_cfg=dict(type='GELU'),
        qkv_bias=True,
        layer_scale_init_value=None,
        pre_norm=False,
        patch_bias=True,
        # paper: abs embedding transferred (class slot cut, 14x14 -> 64x64),
        # relative biases added and zero-initialized (non-BEiT init)
        use_abs_pos_embed=True,
        use_rel_pos_bias='shared',
        rel_pos_zero_init=True,
        drop_path_rate=0.1,  # grid centre: the paper's ViT-B choice for every init
        init_cfg=dict(
            type='Pretrained',
            checkpoint=checkpoint_dir + 'dino_vitbase16_pretrain.pth',
            format='dino')))
optim_wrapper = dict(
    optimizer=dict(
        lr=1.6e-4,  # paper protocol: grid centre lr 1.6e-4 (not tuned)
        weight_decay=0.1))  # paper protocol: grid centre wd 0.1 (not tuned)
