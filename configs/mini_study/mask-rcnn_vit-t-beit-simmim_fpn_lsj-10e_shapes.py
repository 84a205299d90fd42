# Mini study (tools/mini_study.py): the quickstart detector from the ViT with
# the BEiT architecture pre-trained with SimMIM's pixel target (mmpretrain
# SimMIM) on the unlabeled shapes set with pretrain/beit-simmim_vit-t-p16_shapes.py.
# The backbone takes BEiT's architecture: q/v biases, layer scale; and the
# paper's BEiT position handling: the pre-trained shared relative table
# transferred (copied to the 7x7 window table, resized for the 12x12 global
# blocks), the abs embedding added and randomly initialized.
# The checkpoint is the default study's (python tools/mini_study.py);
# tools/mini_study.py passes its own run's last iter_N.pth.
_base_ = '../quickstart/mask-rcnn_vit-t-random_fpn_lsj-10e_shapes.py'
# Dumped with the config: names the init for tools/analysis, whose repeats
# are configs equal up to file names (every mmpretrain file is iter_N.pth).
pretraining = 'pretrain/beit-simmim_vit-t-p16_shapes.py'

model = dict(
    backbone=dict(
        use_abs_pos_embed=True,
        use_rel_pos_bias='shared',
        rel_pos_zero_init=False,
        qkv_bias='qv',
        layer_scale_init_value=0.1,  # BEiT's, as pre-trained (loaded)
        init_cfg=dict(
            type='Pretrained',
            checkpoint='work_dirs/mini_study/pretrain/beit-simmim/iter_565.pth',
            format='mmpretrain')))
