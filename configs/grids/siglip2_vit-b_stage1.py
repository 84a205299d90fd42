# Stage 1 (lr x wd at dp 0) for the SigLIP 2 init, ViT-B: see _base_/paper_stage1.py.
# The paper tunes only its five inits; this grid applies its protocol unchanged.
# The final config sits at the grid centre until the grid has been run.
_base_ = './_base_/paper_stage1.py'
name = 'siglip2_vit-b'
config = '../siglip2/mask-rcnn_vit-b-siglip2_fpn_lsj-100e_coco.py'
