# Stage 1 (lr x wd at dp 0) for the supervised (DeiT) init, ViT-B: see _base_/paper_stage1.py.
_base_ = './_base_/paper_stage1.py'
name = 'supervised_vit-b'
config = '../supervised/mask-rcnn_vit-b-supervised_fpn_lsj-100e_coco.py'
