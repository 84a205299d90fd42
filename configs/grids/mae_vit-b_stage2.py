# Stage 2 (drop path) for the MAE init, ViT-B, at the paper's chosen lr / wd.
_base_ = './_base_/paper_stage2_vit-b.py'
name = 'mae_vit-b'
config = '../mae/mask-rcnn_vit-b-mae_fpn_lsj-100e_coco.py'
search = dict(
    lr=[8e-5],  # paper table: MAE init lr
    weight_decay=[0.1])  # paper table: MAE init wd
