# The frozen-backbone grid (_base_/frozen.py) for random ViT-L.
# Written by tools/misc/protocol_configs.py.
_base_ = './_base_/frozen.py'
name = 'random_vit-l_frozen'
config = '../random/mask-rcnn_vit-l-random-frozen_fpn_lsj-36e_coco.py'
