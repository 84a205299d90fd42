# Stage 2 (drop path) for the supervised (DeiT) init, ViT-B, at the paper's chosen lr / wd.
_base_ = './_base_/paper_stage2_vit-b.py'
name = 'supervised_vit-b'
config = '../supervised/mask-rcnn_vit-b-supervised_fpn_lsj-100e_coco.py'
search = dict(
    lr=[8e-5],  # paper table: supervised (DeiT) init lr
    weight_decay=[0.1])  # paper table: supervised (DeiT) init wd
