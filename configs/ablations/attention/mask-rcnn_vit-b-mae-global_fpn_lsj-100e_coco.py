# Attention layout ablation (Li et al. 2021, RQ3): global attention in every
# block (window_size=0). Paper: without activation checkpointing this runs out
# of memory on a 32 GB V100 for ViT-L, and even ViT-B needs 20-30 GB per image
# in fp16; see the -global-cp config for the checkpointed variant.
_base_ = '../../mae/mask-rcnn_vit-b-mae_fpn_lsj-100e_coco.py'
model = dict(backbone=dict(window_size=0))
