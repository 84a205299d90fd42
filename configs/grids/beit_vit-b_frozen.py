# The frozen-backbone grid (_base_/frozen.py) for BEiT ViT-B.
# Written by tools/misc/protocol_configs.py.
_base_ = './_base_/frozen.py'
name = 'beit_vit-b_frozen'
config = '../beit/mask-rcnn_vit-b-beit-frozen_fpn_lsj-36e_coco.py'
