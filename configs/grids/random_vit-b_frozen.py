# The frozen-backbone grid (_base_/frozen.py) for random ViT-B.
# Written by tools/misc/protocol_configs.py.
_base_ = './_base_/frozen.py'
name = 'random_vit-b_frozen'
config = '../random/mask-rcnn_vit-b-random-frozen_fpn_lsj-36e_coco.py'
