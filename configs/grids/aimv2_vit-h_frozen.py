# The frozen-backbone grid (_base_/frozen.py) for AIMv2 ViT-H.
# Written by tools/misc/protocol_configs.py.
_base_ = './_base_/frozen.py'
name = 'aimv2_vit-h_frozen'
config = '../aimv2/mask-rcnn_vit-h-aimv2-frozen_fpn_lsj-36e_coco.py'
