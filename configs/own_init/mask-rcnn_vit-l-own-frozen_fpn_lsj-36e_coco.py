# own ViT ViT-L: frozen-backbone protocol (configs/_base_/protocols/frozen_lsj-36e.py), Mask R-CNN.
# The init's facts: mask-rcnn_vit-l-own_fpn_lsj-100e_coco.py.
# Written by tools/misc/protocol_configs.py.
_base_ = [
    './mask-rcnn_vit-l-own_fpn_lsj-100e_coco.py',
    '../_base_/protocols/frozen_lsj-36e.py',
]
model = dict(backbone=_base_.frozen_backbone)
train_cfg = _base_.frozen_train_cfg
param_scheduler = _base_.frozen_param_scheduler
optim_wrapper = dict(optimizer=_base_.frozen_optimizer)
