# Position ablation (Li et al. 2021, RQ4): absolute position embedding only
# (transferred from MAE, resized 14x14 -> 64x64), no relative position biases.
# Compare with abs + zero-init rel, configs/mae/mask-rcnn_vit-b-mae_fpn_lsj-100e_coco.py
# (paper: rel biases add about 0.1-0.3 AP for ~25% train time, ~15% memory).
_base_ = '../../mae/mask-rcnn_vit-b-mae_fpn_lsj-100e_coco.py'
model = dict(backbone=dict(use_rel_pos_bias=False))
