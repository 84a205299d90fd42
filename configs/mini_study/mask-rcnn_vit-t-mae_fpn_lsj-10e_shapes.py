# Mini study (tools/mini_study.py): the quickstart detector, unchanged, from
# the ViT that MAE (mmpretrain MAE) pre-trained on the
# unlabeled shapes set with pretrain/mae_vit-t-p16_shapes.py.
# Paper's position handling for a non-BEiT init: the abs embedding (7x7,
# class slot dropped) transferred, relative tables added and zero-initialized.
# The checkpoint is the default study's (python tools/mini_study.py);
# tools/mini_study.py passes its own run's last iter_N.pth.
_base_ = '../quickstart/mask-rcnn_vit-t-random_fpn_lsj-10e_shapes.py'
# Dumped with the config: names the init for tools/analysis, whose repeats
# are configs equal up to file names (every mmpretrain file is iter_N.pth).
pretraining = 'pretrain/mae_vit-t-p16_shapes.py'

model = dict(
    backbone=dict(
        init_cfg=dict(
            type='Pretrained',
            checkpoint='work_dirs/mini_study/pretrain/mae/iter_892.pth',
            format='mmpretrain')))
