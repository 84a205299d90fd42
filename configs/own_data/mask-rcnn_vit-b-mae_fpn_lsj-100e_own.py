# MAE ViT-B (configs/mae) on your own COCO-format set; for another init, change
# the first base (e.g. '../beit/mask-rcnn_vit-b-beit_fpn_lsj-100e_coco.py').
#   MMVITDET_DATA_ROOT=/data/mine/ python tools/train.py configs/own_data/mask-rcnn_vit-b-mae_fpn_lsj-100e_own.py
# The schedule, lr and batch are the COCO recipe's: a smaller set usually
# needs fewer epochs (train_cfg.max_epochs and the schedulers' end, via
# --cfg-options) and, on fewer GPUs, --auto-scale-lr. On a CPU use
# mask-rcnn_vit-t-random_fpn_lsj-10e_own.py (the quickstart model).
_base_ = [
    '../mae/mask-rcnn_vit-b-mae_fpn_lsj-100e_coco.py',
    '../_base_/datasets/own-data_coco-format.py',
]
from mmvitdet.datasets.own_data import own_data_config  # noqa: E402
locals().update(own_data_config(_base_))  # classes, num_classes and paths from the annotation files
