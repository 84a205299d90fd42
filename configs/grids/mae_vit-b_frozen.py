# The frozen-backbone grid (_base_/frozen.py) for MAE ViT-B.
# Written by tools/misc/protocol_configs.py.
_base_ = './_base_/frozen.py'
name = 'mae_vit-b_frozen'
config = '../mae/mask-rcnn_vit-b-mae-frozen_fpn_lsj-36e_coco.py'
