# Position ablation (Li et al. 2021, RQ4): relative position biases only
# (shared window / global tables, zero-init); the MAE checkpoint's absolute
# embedding is dropped on purpose (the loader refuses to ignore it silently).
_base_ = '../../mae/mask-rcnn_vit-b-mae_fpn_lsj-100e_coco.py'
model = dict(
    backbone=dict(
        use_abs_pos_embed=False,
        init_cfg=dict(discard=['pos_embed'])))
