# Position ablation (Li et al. 2021, RQ4): BEiT with zero-initialized relative
# biases instead of its pre-trained ones, i.e. the treatment every other init
# gets. Compare with configs/beit/mask-rcnn_vit-b-beit_fpn_lsj-100e_coco.py.
# mmpretrain's BEiT pre-training stores one shared table,
# backbone.rel_pos_bias.*; a file with per-block tables needs
# discard=['backbone.layers.'] narrowed to its table keys instead (the loader
# names the keys a discard prefix does not match).
_base_ = '../../beit/mask-rcnn_vit-b-beit_fpn_lsj-100e_coco.py'
model = dict(
    backbone=dict(
        rel_pos_zero_init=True,
        init_cfg=dict(discard=['backbone.rel_pos_bias.'])))
