# Stage 1 (lr x wd at dp 0) for the AIMv2 init, ViT-L: see _base_/paper_stage1.py.
# The paper tunes only its five inits; this grid applies its protocol unchanged.
# The final config sits at the grid centre until the grid has been run.
_base_ = './_base_/paper_stage1.py'
name = 'aimv2_vit-l'
config = '../aimv2/mask-rcnn_vit-l-aimv2_fpn_lsj-100e_coco.py'
