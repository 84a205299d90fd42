# Stage 1 (lr x wd at dp 0) for the MoCo v3 init, ViT-B: see _base_/paper_stage1.py.
_base_ = './_base_/paper_stage1.py'
name = 'mocov3_vit-b'
config = '../mocov3/mask-rcnn_vit-b-mocov3_fpn_lsj-100e_coco.py'
