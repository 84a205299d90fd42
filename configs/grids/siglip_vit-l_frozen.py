# The frozen-backbone grid (_base_/frozen.py) for SigLIP ViT-L.
# Written by tools/misc/protocol_configs.py.
_base_ = './_base_/frozen.py'
name = 'siglip_vit-l_frozen'
config = '../siglip/mask-rcnn_vit-l-siglip-frozen_fpn_lsj-36e_coco.py'
