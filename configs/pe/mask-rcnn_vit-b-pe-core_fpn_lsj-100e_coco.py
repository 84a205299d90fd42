# The paper's Mask R-CNN (Li et al. 2021) with the image tower of Perception
# Encoder PE-Core B/16 (Bolya et al. 2025, contrastive image-text
# pre-training). Beyond the paper: no published result for this detector.
#
# Checkpoint: PE-Core-B16-224.pt (the full CLIP model), the official release
# of https://github.com/facebookresearch/perception_models
# (https://huggingface.co/facebook/PE-Core-B16-224/resolve/main/PE-Core-B16-224.pt),
# in the folder named by MMVITDET_CHECKPOINTS (default checkpoints/). The text
# tower, ln_post, the attention-pooling head and the projection are dropped.
#
# Position: the abs table (class slot cut) is transferred at its 14x14
# pre-training grid and added before ln_pre, as in PE; PE's 2-D RoPE is kept
# as released: theta 10000, positions 1..H / 1..W (the dropped class token sat
# at angle 0) rescaled to the 14-token pre-training span, columns in the first
# half of each head, interleaved pairs. Window blocks rotate by the positions
# within their window (a pre-training-sized crop, EVA-02's detection rule);
# global blocks by the whole grid rescaled to the pre-training span. The
# whole-image alternative: configs/ablations/position/
# mask-rcnn_vit-b-pe-core-rope-image-coords_fpn_lsj-100e_coco.py.
#
# Hyper-parameters: the grid centre (configs/grids/pe_vit-b_stage1.py).
_base_ = [
    '../_base_/models/mask-rcnn_vit-b_fpn.py',
    '../_base_/datasets/coco_instance_lsj-1024.py',
    # paper: pre-trained inits overfit past ~100 epochs (100 here, inferred)
    '../_base_/schedules/lsj-100e_adamw-cosine.py',
    '../_base_/default_runtime.py',
]
checkpoint_dir = '{{$MMVITDET_CHECKPOINTS:checkpoints}}/'

model = dict(
    # PE maps RGB pixels to [-1, 1]: mean = std = 0.5 (perception_models
    # transforms; timm vit_pe_core configs), x 255.
    data_preprocessor=dict(mean=[127.5] * 3, std=[127.5] * 3),
    backbone=dict(
        patch_size=16,
        pretrain_img_size=224,  # 14x14 grid
        window_size=14,  # paper's rule: window = pre-training grid
        # PE-Core's vision tower (perception_models core/vision_encoder/pe.py;
        # timm vit_pe_core_base_patch16_224): LayerNorm eps 1e-5, exact-GELU
        # MLP with biases, fused qkv with bias, no layer scale in B/L, ln_pre
        # after the abs position, patch projection without bias (conv1).
        norm_eps=1e-5,
        norm_type='layer_norm',
        act_cfg=dict(type='GELU'),
        ffn_type='mlp',
        ffn_bias=True,
        ffn_sub_norm=False,
        qkv_bias=True,
        proj_bias=True,
        layer_scale_init_value=None,
        pre_norm=True,
        patch_bias=False,
        patch_norm=False,
        rope=dict(base=10000, coords='index', offset=1., axis_order='xy', rotation='interleaved',
                  window_coords='window'),
        use_abs_pos_embed=True,
        use_rel_pos_bias='shared',
        rel_pos_zero_init=True,
        drop_path_rate=0.1,  # grid centre: the paper's ViT-B choice for every init
        init_cfg=dict(
            type='Pretrained',
            checkpoint=checkpoint_dir + 'PE-Core-B16-224.pt',
            format='pe_core')))
optim_wrapper = dict(
    optimizer=dict(
        lr=1.6e-4,  # paper protocol: grid centre lr 1.6e-4 (not tuned)
        weight_decay=0.1))  # paper protocol: grid centre wd 0.1 (not tuned)
