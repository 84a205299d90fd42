# The frozen-backbone grid (_base_/frozen.py) for SigLIP 2 ViT-B.
# Written by tools/misc/protocol_configs.py.
_base_ = './_base_/frozen.py'
name = 'siglip2_vit-b_frozen'
config = '../siglip2/mask-rcnn_vit-b-siglip2-frozen_fpn_lsj-36e_coco.py'
