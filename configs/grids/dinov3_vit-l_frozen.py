# The frozen-backbone grid (_base_/frozen.py) for DINOv3 ViT-L.
# Written by tools/misc/protocol_configs.py.
_base_ = './_base_/frozen.py'
name = 'dinov3_vit-l_frozen'
config = '../dinov3/mask-rcnn_vit-l-dinov3-frozen_fpn_lsj-36e_coco.py'
