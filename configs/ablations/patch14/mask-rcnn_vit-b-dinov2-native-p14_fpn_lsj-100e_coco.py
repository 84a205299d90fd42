# Patch-14 ablation (beyond the paper): DINOv2 ViT-B/14 with its native 14-px
# patches instead of the kernel resized to 16 at load (the baseline,
# configs/dinov2/mask-rcnn_vit-b-dinov2_fpn_lsj-100e_coco.py).
#
# The 1024-px input is padded to 1036 = 74 x 14 by the patch embedding (zeros
# after normalization, like the preprocessor's padding), giving a 74x74 grid of
# stride 14: 1.34x the baseline's 64x64 tokens. Every tap is then resampled to
# stride 16 (StrideResample: bilinear, 74x74 -> 64x64, cell centres aligned to
# the image) so that the paper's resolution adapter, FPN, anchors and RoI
# strides stay unchanged. Windows stay 16x16 as in the baseline (the 74 grid is
# padded to 80 for them); the position table is kept at the file's 37x37 grid.
_base_ = '../../dinov2/mask-rcnn_vit-b-dinov2_fpn_lsj-100e_coco.py'
vit_width = 768
norm_cfg = dict(type='SyncBN', requires_grad=True)
model = dict(
    backbone=dict(
        patch_size=14,  # native: the file's kernel as is
        pretrain_img_size=518,  # 37 x 14: the file's 37x37 position grid
        window_size=16,  # as the baseline (DINOv2's 224-px grid of 14-px patches)
        init_cfg=dict(
            _delete_=True,
            type='Pretrained',
            checkpoint='{{$MMVITDET_CHECKPOINTS:checkpoints}}/'
            'dinov2_vitb14_pretrain.pth',
            format='dinov2')),
    neck=[
        dict(type='StrideResample', in_stride=14, out_stride=16),
        dict(
            type='ResolutionAdapter',
            in_channels=vit_width,
            scale_factors=(4.0, 2.0, 1.0, 0.5),
            norm_cfg=dict(type='GN', num_groups=32)),
        dict(
            type='FPN',
            in_channels=[vit_width] * 4,
            out_channels=256,
            num_outs=5,
            norm_cfg=norm_cfg),
    ])
