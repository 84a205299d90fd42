# ViTDet's Mask R-CNN (see mask-rcnn_vit-b_sfp.py) with a plain ViT-L/16.
_base_ = './mask-rcnn_vit-b_sfp.py'
vit_width = 1024  # ViT-L

model = dict(
    backbone=dict(
        arch='large',
        global_attn_indices=(5, 11, 17, 23),  # ViTDet: 4 global blocks, one per d/4
        out_indices=(23, ),  # ViTDet: the last block only
        drop_path_rate=0.4,  # ViTDet table: dp 0.4 for ViT-L
        # See mask-rcnn_vit-l_fpn.py: 2 images of 1024 per 32 GB GPU need it.
        with_cp=True),
    neck=dict(in_channels=vit_width))
