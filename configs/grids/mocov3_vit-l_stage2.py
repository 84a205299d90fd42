# Drop path for the MoCo v3 init, ViT-L, at ViT-B's lr / wd (paper protocol).
_base_ = './_base_/paper_stage2_vit-l.py'
name = 'mocov3_vit-l'
config = '../mocov3/mask-rcnn_vit-l-mocov3_fpn_lsj-100e_coco.py'
search = dict(
    lr=[1.6e-4],  # paper: ViT-L reuses ViT-B's lr
    weight_decay=[0.1])  # paper: ViT-L reuses ViT-B's wd
