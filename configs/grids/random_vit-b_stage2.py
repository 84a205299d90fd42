# Stage 2 (drop path) for the random init, ViT-B, at the paper's chosen lr / wd.
_base_ = './_base_/paper_stage2_vit-b.py'
name = 'random_vit-b'
config = '../random/mask-rcnn_vit-b-random_fpn_lsj-400e_coco.py'
search = dict(
    lr=[1.6e-4],  # paper table: random init lr
    weight_decay=[0.2])  # paper table: random init wd
epochs = 100  # paper: stage 2 at 100 epochs for random init
