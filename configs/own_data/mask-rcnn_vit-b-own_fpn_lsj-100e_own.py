# Your own pre-trained ViT-B (configs/own_init) on your own COCO-format set (configs/_base_/datasets):
#   MMVITDET_PRETRAINED=/path/to/my_vit_b.pth MMVITDET_DATA_ROOT=/data/mine/ \
#       python tools/train.py configs/own_data/mask-rcnn_vit-b-own_fpn_lsj-100e_own.py --short   # a first look
# Without --short this is the COCO recipe (100 epochs, batch 64 over GPUs): see mask-rcnn_vit-b-mae_fpn_lsj-100e_own.py
# for fitting the schedule to a smaller set.
_base_ = [
    '../own_init/mask-rcnn_vit-b-own_fpn_lsj-100e_coco.py',
    '../_base_/datasets/own-data_coco-format.py',
]
from mmvitdet.datasets.own_data import own_data_config  # noqa: E402
locals().update(own_data_config(_base_))  # classes, num_classes and paths from the annotation files
