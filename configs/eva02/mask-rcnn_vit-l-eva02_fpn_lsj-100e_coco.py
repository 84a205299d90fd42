# The paper's Mask R-CNN (Li et al. 2021) with the plain ViT-L/14 of EVA-02
# (Fang et al. 2023, MIM on ImageNet-21K). Beyond the paper: no published
# result for this detector.
#
# Checkpoint: eva02_L_pt_in21k_p14.pt (state dict under "module"), the
# official MIM release of https://github.com/baaivision/EVA/tree/master/EVA-02
# (https://huggingface.co/Yuxin-CV/EVA-02/resolve/main/eva02/pt/eva02_L_pt_in21k_p14.pt),
# in the folder named by MMVITDET_CHECKPOINTS (default checkpoints/).
#
# Block, patch and position facts as the ViT-B config (restated below; see it
# for the RoPE choice). Hyper-parameters: the grid centre
# (configs/grids/eva02_vit-l_stage2.py).
_base_ = [
    '../_base_/models/mask-rcnn_vit-l_fpn.py',
    '../_base_/datasets/coco_instance_lsj-1024.py',
    '../_base_/schedules/lsj-100e_adamw-cosine.py',
    '../_base_/default_runtime.py',
]
checkpoint_dir = '{{$MMVITDET_CHECKPOINTS:checkpoints}}/'

model = dict(
    data_preprocessor=dict(
        mean=[122.771, 116.746, 104.094], std=[68.501, 66.632, 70.323]),
    backbone=dict(
        # EVA-02 L: width 1024, 24 blocks, 16 heads; SwiGLU hidden
        # int(1024 * 4 * 2 / 3) = 2730 (timm eva02_large_patch14_224)
        arch=dict(_delete_=True, embed_dims=1024, num_layers=24, num_heads=16, feedforward_channels=2730),
        patch_size=16,
        pretrain_img_size=16 * 16,
        window_size=16,
        # global blocks (5, 11, 17, 23), taps, with_cp and dp 0.3 from the ViT-L base
        norm_eps=1e-6,
        norm_type='layer_norm',
        act_cfg=dict(type='GELU'),  # unused by SwiGLU
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
        use_abs_pos_embed=True,
        use_rel_pos_bias='shared',
        rel_pos_zero_init=True,
        init_cfg=dict(
            type='Pretrained',
            checkpoint=checkpoint_dir + 'eva02_L_pt_in21k_p14.pt',
            format='eva02',
            patch_embed_resize='pinv')))
optim_wrapper = dict(
    optimizer=dict(
        lr=1.6e-4,  # paper protocol: grid centre lr 1.6e-4 (not tuned)
        weight_decay=0.1))  # paper protocol: grid centre wd 0.1 (not tuned)
