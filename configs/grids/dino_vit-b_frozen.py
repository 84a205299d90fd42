# The frozen-backbone grid (_base_/frozen.py) for DINO ViT-B.
# Written by tools/misc/protocol_configs.py.
_base_ = './_base_/frozen.py'
name = 'dino_vit-b_frozen'
config = '../dino/mask-rcnn_vit-b-dino-frozen_fpn_lsj-36e_coco.py'
