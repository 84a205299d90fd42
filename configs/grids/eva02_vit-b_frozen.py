# The frozen-backbone grid (_base_/frozen.py) for EVA-02 ViT-B.
# Written by tools/misc/protocol_configs.py.
_base_ = './_base_/frozen.py'
name = 'eva02_vit-b_frozen'
config = '../eva02/mask-rcnn_vit-b-eva02-frozen_fpn_lsj-36e_coco.py'
