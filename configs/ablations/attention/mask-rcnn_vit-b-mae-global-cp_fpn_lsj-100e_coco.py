# Attention layout ablation (Li et al. 2021, RQ3): global attention in every
# block with activation checkpointing (recompute each block in the backward).
# Paper: matches the 4-global hybrid's AP but trains much slower.
_base_ = '../../mae/mask-rcnn_vit-b-mae_fpn_lsj-100e_coco.py'
model = dict(backbone=dict(window_size=0, with_cp=True))
