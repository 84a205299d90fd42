# Drop path for the random init, ViT-L, at ViT-B's lr / wd (paper protocol).
_base_ = './_base_/paper_stage2_vit-l.py'
name = 'random_vit-l'
config = '../random/mask-rcnn_vit-l-random_fpn_lsj-400e_coco.py'
search = dict(
    lr=[1.6e-4],  # paper: ViT-L reuses ViT-B's lr
    weight_decay=[0.2])  # paper: ViT-L reuses ViT-B's wd
epochs = 100  # as ViT-B's stage 2 for random init (inferred)
