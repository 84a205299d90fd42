# Stage 1 (lr x wd at dp 0) for the MAE init, ViT-B: see _base_/paper_stage1.py.
_base_ = './_base_/paper_stage1.py'
name = 'mae_vit-b'
config = '../mae/mask-rcnn_vit-b-mae_fpn_lsj-100e_coco.py'
