# The quickstart model (configs/quickstart: a ViT of 8 blocks of width 192,
# random init, 10 epochs, batch 4) on your own COCO-format set: the route that
# trains on a CPU (0.5 s per iteration at 192 px on 2 cores; larger images
# are resized to the quickstart's 192 px).
#   MMVITDET_DATA_ROOT=/data/mine/ python tools/train.py configs/own_data/mask-rcnn_vit-t-random_fpn_lsj-10e_own.py
_base_ = [
    '../quickstart/mask-rcnn_vit-t-random_fpn_lsj-10e_shapes.py',
    '../_base_/datasets/own-data_coco-format.py',
]
from mmvitdet.datasets.own_data import own_data_config  # noqa: E402
locals().update(own_data_config(_base_))  # classes, num_classes and paths from the annotation files
