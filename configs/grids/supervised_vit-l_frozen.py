# The frozen-backbone grid (_base_/frozen.py) for supervised (IN1k) ViT-L.
# Written by tools/misc/protocol_configs.py.
_base_ = './_base_/frozen.py'
name = 'supervised_vit-l_frozen'
config = '../supervised/mask-rcnn_vit-l-supervised-frozen_fpn_lsj-36e_coco.py'
