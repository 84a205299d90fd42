# Stage 2 (drop path) for the MoCo v3 init, ViT-B, at the paper's chosen lr / wd.
_base_ = './_base_/paper_stage2_vit-b.py'
name = 'mocov3_vit-b'
config = '../mocov3/mask-rcnn_vit-b-mocov3_fpn_lsj-100e_coco.py'
search = dict(
    lr=[1.6e-4],  # paper table: MoCo v3 init lr
    weight_decay=[0.1])  # paper table: MoCo v3 init wd
