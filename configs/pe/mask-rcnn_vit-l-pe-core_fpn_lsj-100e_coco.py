# The paper's Mask R-CNN (Li et al. 2021) with the image tower of Perception
# Encoder PE-Core L/14 at 336 px (Bolya et al. 2025). Beyond the paper: no
# published result for this detector.
#
# Checkpoint: PE-Core-L14-336.pt (the full CLIP model), the official release
# of https://github.com/facebookresearch/perception_models
# (https://huggingface.co/facebook/PE-Core-L14-336/resolve/main/PE-Core-L14-336.pt),
# in the folder named by MMVITDET_CHECKPOINTS (default checkpoints/).
#
# Patch 14 at 1024 px: the kernel is resized to 16x16 at load ('pinv'); the
# 24x24 abs table (336 / 14) is kept at 24x24 (= 384 px at patch 16) and the
# RoPE positions are rescaled to the 24-token span, as PE's own rule. Window
# 24 (paper's rule: the pre-training grid; 64 pads to 72). Block and position
# facts otherwise as the ViT-B config. Hyper-parameters: the grid centre
# (configs/grids/pe_vit-l_stage2.py).
_base_ = [
    '../_base_/models/mask-rcnn_vit-l_fpn.py',
    '../_base_/datasets/coco_instance_lsj-1024.py',
    '../_base_/schedules/lsj-100e_adamw-cosine.py',
    '../_base_/default_runtime.py',
]
checkpoint_dir = '{{$MMVITDET_CHECKPOINTS:checkpoints}}/'

model = dict(
    data_preprocessor=dict(mean=[127.5] * 3, std=[127.5] * 3),
    backbone=dict(
        patch_size=16,  # the file's 14x14 kernel is resized to 16 at load
        pretrain_img_size=24 * 16,  # 336 px / 14 = 24x24 grid, kept at patch 16
        window_size=24,
        # global blocks (5, 11, 17, 23), taps, with_cp and dp 0.3 from the ViT-L base
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
        init_cfg=dict(
            type='Pretrained',
            checkpoint=checkpoint_dir + 'PE-Core-L14-336.pt',
            format='pe_core',
            patch_embed_resize='pinv')))
optim_wrapper = dict(
    optimizer=dict(
        lr=1.6e-4,  # paper protocol: grid centre lr 1.6e-4 (not tuned)
        weight_decay=0.1))  # paper protocol: grid centre wd 0.1 (not tuned)
