# The frozen-backbone grid (_base_/frozen.py) for SAM ViT-H.
# Written by tools/misc/protocol_configs.py.
_base_ = './_base_/frozen.py'
name = 'sam_vit-h_frozen'
config = '../sam/mask-rcnn_vit-h-sam-frozen_fpn_lsj-36e_coco.py'
