# AIMv2 ViT-H: frozen backbone, Cascade Mask R-CNN
# (configs/_base_/detectors/cascade-mask-rcnn_4conv1fc-bn.py: detectron2 ViTDet's cascade heads).
# The init's facts and recipe: mask-rcnn_vit-h-aimv2_fpn_lsj-100e_coco.py;
# frozen by mask-rcnn_vit-h-aimv2-frozen_fpn_lsj-36e_coco.py.
# Written by tools/misc/protocol_configs.py.
_base_ = [
    './mask-rcnn_vit-h-aimv2-frozen_fpn_lsj-36e_coco.py',
    '../_base_/detectors/cascade-mask-rcnn_4conv1fc-bn.py',
]
model = dict(roi_head=_base_.cascade_roi_head, train_cfg=dict(rcnn=_base_.cascade_rcnn_train_cfg))
