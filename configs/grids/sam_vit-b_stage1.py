# Stage 1 (lr x wd at dp 0) for SAM's image encoder, ViT-B: see _base_/paper_stage1.py.
_base_ = './_base_/paper_stage1.py'
name = 'sam_vit-b'
config = '../sam/mask-rcnn_vit-b-sam_fpn_lsj-100e_coco.py'
