# Your own COCO-format instance segmentation set, for any init config. A config combines it with an
# init config and resolves it in its last line (configs/own_data/ has examples):
#
#   _base_ = ['../mae/mask-rcnn_vit-b-mae_fpn_lsj-100e_coco.py',
#             '../_base_/datasets/own-data_coco-format.py']
#   from mmvitdet.datasets.own_data import own_data_config  # noqa: E402
#   locals().update(own_data_config(_base_))  # classes, num_classes and paths from the annotation files
#
# When the config is parsed (so mmdet's own tools, mim and DetInferencer see it too) the splits are
# found in data_root: COCO (annotations/instances_<split>.json + <split>/), Roboflow
# (<split>/_annotations.coco.json beside the images) or CVAT (annotations/instances_<subset>.json +
# images/); split names train / val, valid or validation. The class names are read from the train
# file (categories in id order; an unused category that only repeats a super-category name, as
# Roboflow's id 0, is dropped, and the log says so) and set as the datasets' classes and as
# num_classes of the box and mask heads. At launch (tools/train.py, test.py, demo.py), before any
# iteration, every image is checked to lie inside its image folder, exist, open (check='header') or
# decode (check='decode'), and declare at most max_pixels pixels. Pipelines, model and schedule stay
# the init config's. train / val below override the detected paths (relative to data_root), e.g.
#   --cfg-options own_data.train.ann_file=a.json own_data.train.img=imgs/ own_data.check=decode
own_data = dict(
    data_root='{{$MMVITDET_DATA_ROOT:data/own/}}',
    train=dict(),  # empty: detected; dict(ann_file=..., img=...) names the train split by hand
    val=dict(),  # likewise for the validation split
    check='header',  # 'decode': decode every image at launch (docs/get_started.md gives its cost)
    max_pixels=89_478_485)  # PIL's bound; larger headers are refused by name (decompression bombs)
