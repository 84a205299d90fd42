# The frozen-backbone grid (_base_/frozen.py) for PE-Core ViT-L.
# Written by tools/misc/protocol_configs.py.
_base_ = './_base_/frozen.py'
name = 'pe_vit-l_frozen'
config = '../pe/mask-rcnn_vit-l-pe-core-frozen_fpn_lsj-36e_coco.py'
