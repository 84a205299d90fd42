# The frozen-backbone grid (_base_/frozen.py) for MoCo v3 ViT-B.
# Written by tools/misc/protocol_configs.py.
_base_ = './_base_/frozen.py'
name = 'mocov3_vit-b_frozen'
config = '../mocov3/mask-rcnn_vit-b-mocov3-frozen_fpn_lsj-36e_coco.py'
