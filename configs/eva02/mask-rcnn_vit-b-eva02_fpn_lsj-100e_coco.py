# The paper's Mask R-CNN (Li et al. 2021) with the plain ViT-B/14 of EVA-02
# (Fang et al. 2023: MIM of EVA-CLIP features on ImageNet-21K). Beyond the
# paper: no published result for this detector (EVA-02's own detection
# results use ViTDet's recipe with Cascade heads).
#
# Checkpoint: eva02_B_pt_in21k_p14.pt (the state dict under "module"), the
# official MIM release of https://github.com/baaivision/EVA/tree/master/EVA-02
# (https://huggingface.co/Yuxin-CV/EVA-02/resolve/main/eva02/pt/eva02_B_pt_in21k_p14.pt),
# in the folder named by MMVITDET_CHECKPOINTS (default checkpoints/), or set
# model.backbone.init_cfg.checkpoint=PATH with --cfg-options.
#
# Patch 14 at 1024 px: the 14x14 kernel is resized to 16x16 at load
# (patch_embed_resize='pinv', as for DINOv2), so the detector keeps stride 16
# and a 64x64 grid. Position: the abs table (class slot cut) is transferred at
# its 16x16 pre-training grid (paper's rule), and EVA-02's 2-D RoPE is kept as
# released: theta 10000, integer positions rescaled to the 16-token
# pre-training span (EVA-02's VisionRotaryEmbeddingFast rule), rows in the
# first half of each head, interleaved pairs. Window blocks rotate by the
# positions within their 16x16 window, each a pre-training-sized crop, as
# EVA-02's own detection code (EVA-02/det, window blocks' RoPE over the
# window); global blocks by the 64x64 grid rescaled to the 16-token span. The
# whole-image alternative is configs/ablations/position/
# mask-rcnn_vit-b-eva02-rope-image-coords_fpn_lsj-100e_coco.py.
#
# Hyper-parameters: the grid centre (configs/grids/eva02_vit-b_stage1.py).
_base_ = [
    '../_base_/models/mask-rcnn_vit-b_fpn.py',
    '../_base_/datasets/coco_instance_lsj-1024.py',
    # paper: pre-trained inits overfit past ~100 epochs (100 here, inferred)
    '../_base_/schedules/lsj-100e_adamw-cosine.py',
    '../_base_/default_runtime.py',
]
checkpoint_dir = '{{$MMVITDET_CHECKPOINTS:checkpoints}}/'

model = dict(
    # EVA-02 normalizes with OpenAI CLIP's mean/std, RGB (timm eva02 configs,
    # OPENAI_CLIP_MEAN / OPENAI_CLIP_STD), x 255.
    data_preprocessor=dict(
        mean=[122.771, 116.746, 104.094], std=[68.501, 66.632, 70.323]),
    backbone=dict(
        # EVA-02 B: width 768, 12 blocks, 12 heads; SwiGLU hidden 2048
        # (mlp_ratio 4 * 2 / 3)
        arch=dict(_delete_=True, embed_dims=768, num_layers=12, num_heads=12, feedforward_channels=2048),
        patch_size=16,  # the file's 14x14 kernel is resized to 16 at load
        pretrain_img_size=16 * 16,  # 224 px / 14 = 16x16 grid, kept at patch 16
        window_size=16,  # paper's rule: window = pre-training grid
        # EVA-02's ViT (EVA-02/asuka modeling_pretrain.py; timm eva02_base_patch14_224):
        # LayerNorm eps 1e-6 (also the FFN's sub-LN ffn_ln), SwiGLU (w1 gate,
        # w2 value, sub-LN, w3) with biases, q and v biases (no k bias), no
        # layer scale, no norm before the blocks, patch projection with bias.
        norm_eps=1e-6,
        norm_type='layer_norm',
        act_cfg=dict(type='GELU'),  # unused by SwiGLU (SiLU gate)
        ffn_type='swiglu',
        ffn_bias=True,
        ffn_sub_norm=True,
        qkv_bias='qv',
        proj_bias=True,
        layer_scale_init_value=None,
        pre_norm=False,
        patch_bias=True,
        patch_norm=False,
        rope=dict(base=10000, coords='index', offset=0., axis_order='yx', rotation='interleaved',
                  window_coords='window'),
        # paper: abs embedding transferred, relative biases added zero-init
        use_abs_pos_embed=True,
        use_rel_pos_bias='shared',
        rel_pos_zero_init=True,
        drop_path_rate=0.1,  # grid centre: the paper's ViT-B choice for every init
        init_cfg=dict(
            type='Pretrained',
            checkpoint=checkpoint_dir + 'eva02_B_pt_in21k_p14.pt',
            format='eva02',
            patch_embed_resize='pinv')))
optim_wrapper = dict(
    optimizer=dict(
        lr=1.6e-4,  # paper protocol: grid centre lr 1.6e-4 (not tuned)
        weight_decay=0.1))  # paper protocol: grid centre wd 0.1 (not tuned)
