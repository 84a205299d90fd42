# The Cascade Mask R-CNN heads of configs/_base_/detectors/cascade-mask-rcnn_4conv1fc-bn.py with LayerNorm in the
# box heads, as detectron2's ViTDet files have them (FastRCNNConvFCHead conv_norm='LN'): for the ViTDet recipe
# (configs/vitdet/, simple feature pyramid, LN heads).
_base_ = './cascade-mask-rcnn_4conv1fc-bn.py'
cascade_norm_cfg = dict(type='mmpretrain.LN2d', eps=1e-6)  # ViTDet: LayerNorm over channels
cascade_roi_head = dict(bbox_head=[dict(head, norm_cfg=cascade_norm_cfg) for head in _base_.cascade_roi_head.bbox_head])
