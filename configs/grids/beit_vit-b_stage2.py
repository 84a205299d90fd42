# Stage 2 (drop path) for the BEiT init, ViT-B, at the paper's chosen lr / wd.
_base_ = './_base_/paper_stage2_vit-b.py'
name = 'beit_vit-b'
config = '../beit/mask-rcnn_vit-b-beit_fpn_lsj-100e_coco.py'
search = dict(
    lr=[8e-5],  # paper table: BEiT init lr
    weight_decay=[0.1])  # paper table: BEiT init wd
