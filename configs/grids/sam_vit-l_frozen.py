# The frozen-backbone grid (_base_/frozen.py) for SAM ViT-L.
# Written by tools/misc/protocol_configs.py.
_base_ = './_base_/frozen.py'
name = 'sam_vit-l_frozen'
config = '../sam/mask-rcnn_vit-l-sam-frozen_fpn_lsj-36e_coco.py'
