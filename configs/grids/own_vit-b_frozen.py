# The frozen-backbone grid (_base_/frozen.py) for own ViT ViT-B.
# Written by tools/misc/protocol_configs.py.
_base_ = './_base_/frozen.py'
name = 'own_vit-b_frozen'
config = '../own_init/mask-rcnn_vit-b-own-frozen_fpn_lsj-36e_coco.py'
