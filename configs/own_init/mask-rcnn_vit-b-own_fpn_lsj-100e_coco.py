# Your own pre-trained ViT-B/16 under the paper's protocol (Mask R-CNN, resolution adapter + FPN, LSJ 1024,
# AdamW, 100 epochs) with the recipe of the paper's best ViT-B init, MAE: lr 8e-5, weight decay 0.1, drop path
# 0.1 (paper table). A checkpoint of any layout mmvitdet reads (timm / DeiT, MAE, BEiT, MoCo v3, DINO, DINOv2,
# CLIP, SigLIP, mmpretrain, Hugging Face folders, .safetensors; docs/initializations.md) is detected from its
# keys, and the load report names the detected layout; init_cfg.format=<name> forces one.
#   MMVITDET_PRETRAINED=/path/to/my_vit_b.pth python tools/train.py configs/own_init/mask-rcnn_vit-b-own_fpn_lsj-100e_coco.py
# State what the pre-training used where it differs from these defaults (--cfg-options or a child config):
#   model.data_preprocessor.mean / std   pixel normalization (here ImageNet's, RGB)
#   model.backbone.pretrain_img_size     the pre-training resolution (224; the abs embedding is resized from it)
#   model.backbone.patch_size            16 (14: add init_cfg.patch_embed_resize='pinv', see docs)
#   the lr / weight decay / drop path grids of configs/grids/ are the paper's per-init search
_base_ = ['../mae/mask-rcnn_vit-b-mae_fpn_lsj-100e_coco.py']

model = dict(
    backbone=dict(
        init_cfg=dict(
            _delete_=True,
            type='Pretrained',
            checkpoint='{{$MMVITDET_PRETRAINED:unset-MMVITDET_PRETRAINED}}',  # the file (or Hugging Face folder) to start from
            format='auto')))
