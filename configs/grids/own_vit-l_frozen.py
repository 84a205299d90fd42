# The frozen-backbone grid (_base_/frozen.py) for own ViT ViT-L.
# Written by tools/misc/protocol_configs.py.
_base_ = './_base_/frozen.py'
name = 'own_vit-l_frozen'
config = '../own_init/mask-rcnn_vit-l-own-frozen_fpn_lsj-36e_coco.py'
