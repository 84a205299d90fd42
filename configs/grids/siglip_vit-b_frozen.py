# The frozen-backbone grid (_base_/frozen.py) for SigLIP ViT-B.
# Written by tools/misc/protocol_configs.py.
_base_ = './_base_/frozen.py'
name = 'siglip_vit-b_frozen'
config = '../siglip/mask-rcnn_vit-b-siglip-frozen_fpn_lsj-36e_coco.py'
