# Your own COCO-format instance segmentation set, for any init config:
#
#   # configs/own_data/mask-rcnn_vit-b-mae_fpn_lsj-100e_own.py
#   _base_ = ['../mae/mask-rcnn_vit-b-mae_fpn_lsj-100e_coco.py',
#             '../_base_/datasets/own-data_coco-format.py']
#
# At launch (tools/train.py, test.py, demo.py) mmvitdet points the train/val/test datasets and
# the CocoMetric at these files, reads the class names from the train annotation file
# (categories in id order) and sets them, and num_classes of the box and mask heads; the log
# says what it set (mmvitdet/datasets/own_data.py). Pipelines (LSJ), model and schedule stay the
# init config's. Annotation files are COCO instances json (images, annotations with bbox and
# segmentation, categories); paths below are relative to data_root.
own_data = dict(
    data_root='{{$MMVITDET_DATA_ROOT:data/own/}}',
    train=dict(ann_file='annotations/instances_train.json', img='train/'),
    val=dict(ann_file='annotations/instances_val.json', img='val/'))
