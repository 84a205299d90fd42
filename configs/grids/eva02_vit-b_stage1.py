# Stage 1 (lr x wd at dp 0) for the EVA 02 init, ViT-B: see _base_/paper_stage1.py.
# The paper tunes only its five inits; this grid applies its protocol unchanged.
# The final config sits at the grid centre until the grid has been run.
_base_ = './_base_/paper_stage1.py'
name = 'eva02_vit-b'
config = '../eva02/mask-rcnn_vit-b-eva02_fpn_lsj-100e_coco.py'
