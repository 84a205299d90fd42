# Attention layout ablation (Li et al. 2021, "memory and time" study; RQ3):
# window attention in every block, no cross-window propagation. Compare with
# the paper's 4 global blocks, configs/mae/mask-rcnn_vit-b-mae_fpn_lsj-100e_coco.py
# (paper, ViT-L: all-window 50.7 vs hybrid 53.3 APbox).
_base_ = '../../mae/mask-rcnn_vit-b-mae_fpn_lsj-100e_coco.py'
model = dict(backbone=dict(global_attn_indices=()))
