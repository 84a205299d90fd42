# Cascade Mask R-CNN heads for the paper's FPN detector, as detectron2's ViTDet builds its Cascade configs
# (projects/ViTDet/configs/COCO/cascade_mask_rcnn_vitdet_b_100ep.py; ViTDet's and Battle of the Backbones'
# detector). A detector base: it defines only these two variables, which a cascade config applies to the
# Mask R-CNN config it inherits (so an init's facts stay in that one config):
#   _base_ = ['./mask-rcnn_vit-b-mae_fpn_lsj-100e_coco.py', '../_base_/detectors/cascade-mask-rcnn_4conv1fc-bn.py']
#   model = dict(roi_head=_base_.cascade_roi_head, train_cfg=dict(rcnn=_base_.cascade_rcnn_train_cfg))
# RPN, RoI extractors, the mask head's layers and test settings stay the Mask R-CNN config's.
cascade_norm_cfg = dict(type='SyncBN', requires_grad=True)  # the paper's FPN configs: BN in the box heads
# detectron2: Box2BoxTransform weights (10, 10, 5, 5), (20, 20, 10, 10), (30, 30, 15, 15) per stage; mmdet's
# DeltaXYWHBBoxCoder divides by target_stds = 1 / weights.
cascade_box_weights = ((10., 5.), (20., 10.), (30., 15.))
cascade_iou_thrs = (0.5, 0.6, 0.7)  # detectron2: one Matcher per stage, IoU 0.5 / 0.6 / 0.7
cascade_roi_head = dict(
    # merged into the Mask R-CNN's roi_head: its RoI extractors and mask head stay
    # detectron2's CascadeROIHeads: stage losses summed, 1/3 of each stage's gradient to the features, one mask
    # head (trained on the first stage's samples, applied to the last stage's boxes)
    type='ViTDetCascadeRoIHead',
    num_stages=3,  # detectron2: three box heads and predictors
    stage_loss_weights=[1., 1., 1.],
    bbox_head=[
        dict(
            type='Shared4Conv1FCBBoxHead',  # detectron2: conv_dims=[256] * 4, fc_dims=[1024]
            in_channels=256,
            conv_out_channels=256,
            fc_out_channels=1024,
            roi_feat_size=7,
            norm_cfg=cascade_norm_cfg,  # detectron2's ViTDet files: conv_norm='LN'; the paper's FPN: BN
            num_classes=80,
            reg_class_agnostic=True,  # detectron2: cls_agnostic_bbox_reg=True
            bbox_coder=dict(
                type='DeltaXYWHBBoxCoder',
                target_means=[0., 0., 0., 0.],
                target_stds=[1 / w1, 1 / w1, 1 / w2, 1 / w2]),
            loss_cls=dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0),
            loss_bbox=dict(type='L1Loss', loss_weight=1.0))  # detectron2: smooth_l1_beta=0, i.e. L1
        for w1, w2 in cascade_box_weights
    ])
cascade_rcnn_train_cfg = [
    dict(
        assigner=dict(
            type='MaxIoUAssigner',
            pos_iou_thr=iou,
            neg_iou_thr=iou,
            min_pos_iou=iou,
            match_low_quality=False,  # detectron2: allow_low_quality_matches=False
            ignore_iof_thr=-1),
        sampler=dict(type='RandomSampler', num=512, pos_fraction=0.25, neg_pos_ub=-1, add_gt_as_proposals=True),
        mask_size=28,
        pos_weight=-1,
        debug=False) for iou in cascade_iou_thrs
]
