# The frozen-backbone grid (_base_/frozen.py) for PE-Core ViT-B.
# Written by tools/misc/protocol_configs.py.
_base_ = './_base_/frozen.py'
name = 'pe_vit-b_frozen'
config = '../pe/mask-rcnn_vit-b-pe-core-frozen_fpn_lsj-36e_coco.py'
