# Drop path for the BEiT init, ViT-L, at ViT-B's lr / wd (paper protocol).
_base_ = './_base_/paper_stage2_vit-l.py'
name = 'beit_vit-l'
config = '../beit/mask-rcnn_vit-l-beit_fpn_lsj-100e_coco.py'
search = dict(
    lr=[8e-5],  # paper: ViT-L reuses ViT-B's lr
    weight_decay=[0.1])  # paper: ViT-L reuses ViT-B's wd
