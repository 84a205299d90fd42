# Drop path for the supervised (DeiT) init, ViT-L, at ViT-B's lr / wd (paper protocol).
_base_ = './_base_/paper_stage2_vit-l.py'
name = 'supervised_vit-l'
config = '../supervised/mask-rcnn_vit-l-supervised_fpn_lsj-100e_coco.py'
search = dict(
    lr=[8e-5],  # paper: ViT-L reuses ViT-B's lr
    weight_decay=[0.1])  # paper: ViT-L reuses ViT-B's wd
