# Attention layout of the frozen protocol: global attention in every block at 1024, the layout every
# pre-training used, instead of the fine-tuning layout (14x14 windows + 4 global blocks) that the frozen configs
# keep, as Battle of the Backbones keeps ViTDet's. A frozen backbone cannot adapt to windows it was not
# pre-trained with; without a backward pass all-global attention stays affordable (no activations are kept and
# PyTorch's SDPA runs memory-efficient attention). Compare with
# ../../mae/mask-rcnn_vit-b-mae-frozen_fpn_lsj-36e_coco.py.
_base_ = '../../mae/mask-rcnn_vit-b-mae-frozen_fpn_lsj-36e_coco.py'
model = dict(backbone=dict(window_size=0))
