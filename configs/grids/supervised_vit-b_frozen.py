# The frozen-backbone grid (_base_/frozen.py) for supervised (IN1k) ViT-B.
# Written by tools/misc/protocol_configs.py.
_base_ = './_base_/frozen.py'
name = 'supervised_vit-b_frozen'
config = '../supervised/mask-rcnn_vit-b-supervised-frozen_fpn_lsj-36e_coco.py'
