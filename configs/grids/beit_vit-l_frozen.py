# The frozen-backbone grid (_base_/frozen.py) for BEiT ViT-L.
# Written by tools/misc/protocol_configs.py.
_base_ = './_base_/frozen.py'
name = 'beit_vit-l_frozen'
config = '../beit/mask-rcnn_vit-l-beit-frozen_fpn_lsj-36e_coco.py'
