# Your own pre-trained ViT-L/16 under the paper's protocol with the recipe of the paper's best ViT-L init, MAE:
# lr 8e-5, weight decay 0.1, drop path 0.3 (paper table), 100 epochs. As the ViT-B config
# (mask-rcnn_vit-b-own_fpn_lsj-100e_coco.py): the layout is detected from the file's keys.
#   MMVITDET_PRETRAINED=/path/to/my_vit_l.pth python tools/train.py configs/own_init/mask-rcnn_vit-l-own_fpn_lsj-100e_coco.py
_base_ = ['../mae/mask-rcnn_vit-l-mae_fpn_lsj-100e_coco.py']

model = dict(
    backbone=dict(
        init_cfg=dict(
            _delete_=True,
            type='Pretrained',
            checkpoint='{{$MMVITDET_PRETRAINED:unset-MMVITDET_PRETRAINED}}',  # the file (or Hugging Face folder) to start from
            format='auto')))
