# supervised (IN1k) ViT-L, ViTDet's recipe: full fine-tuning, Cascade Mask R-CNN
# (configs/_base_/detectors/cascade-mask-rcnn_4conv1fc-ln.py: detectron2 ViTDet's cascade heads).
# The init's facts and recipe: mask-rcnn_vit-l-supervised_sfp_lsj-100e_coco.py.
# Written by tools/misc/protocol_configs.py.
_base_ = [
    './mask-rcnn_vit-l-supervised_sfp_lsj-100e_coco.py',
    '../_base_/detectors/cascade-mask-rcnn_4conv1fc-ln.py',
]
model = dict(roi_head=_base_.cascade_roi_head, train_cfg=dict(rcnn=_base_.cascade_rcnn_train_cfg))
