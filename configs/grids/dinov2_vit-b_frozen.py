# The frozen-backbone grid (_base_/frozen.py) for DINOv2 ViT-B.
# Written by tools/misc/protocol_configs.py.
_base_ = './_base_/frozen.py'
name = 'dinov2_vit-b_frozen'
config = '../dinov2/mask-rcnn_vit-b-dinov2-frozen_fpn_lsj-36e_coco.py'
