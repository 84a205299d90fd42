# Stage 1 (lr x wd at dp 0) for the BEiT init, ViT-B: see _base_/paper_stage1.py.
_base_ = './_base_/paper_stage1.py'
name = 'beit_vit-b'
config = '../beit/mask-rcnn_vit-b-beit_fpn_lsj-100e_coco.py'
