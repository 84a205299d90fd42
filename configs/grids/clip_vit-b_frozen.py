# The frozen-backbone grid (_base_/frozen.py) for CLIP ViT-B.
# Written by tools/misc/protocol_configs.py.
_base_ = './_base_/frozen.py'
name = 'clip_vit-b_frozen'
config = '../clip/mask-rcnn_vit-b-clip-frozen_fpn_lsj-36e_coco.py'
