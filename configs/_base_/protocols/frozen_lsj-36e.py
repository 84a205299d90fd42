# The frozen-backbone protocol (DINOv3's COCO detection and Battle of the Backbones' "frozen" track, BoB: NeurIPS
# 2023, hsouri/bob-detection): the pre-trained ViT is not trained at all, only the resolution adapter, FPN and
# heads are; what is measured is the representation as released. A protocol base: it defines only these
# variables, which a frozen config applies to the fine-tuning config it inherits (the init's facts stay there):
#   _base_ = ['./mask-rcnn_vit-b-mae_fpn_lsj-100e_coco.py', '../_base_/protocols/frozen_lsj-36e.py']
#   model = dict(backbone=_base_.frozen_backbone)
#   train_cfg = _base_.frozen_train_cfg
#   param_scheduler = _base_.frozen_param_scheduler
#   optim_wrapper = dict(optimizer=_base_.frozen_optimizer)
# Frozen means every backbone tensor: patch embedding, abs and relative position tables (a table a release does
# not have stays at its zero init: frozen = the position information the release has), blocks and norms; the
# backbone runs in eval mode (no drop path) and builds no autograd graph. The attention layout is the
# fine-tuning one (windows + 4 global blocks, as BoB keeps ViTDet's).
frozen_epochs = 36  # BoB: 3x schedule = 36 epochs, LSJ 1024
frozen_backbone = dict(
    frozen_stages='all',
    drop_path_rate=0.)  # nothing to regularize: the grid tunes lr and weight decay only
frozen_train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=frozen_epochs, val_interval=6)
frozen_param_scheduler = [
    # the paper's formula at 36 epochs: linear warmup over 0.25 epoch, half-period cosine to 0
    dict(type='LinearLR', start_factor=0.001, by_epoch=True, begin=0, end=0.25, convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', eta_min=0., T_max=frozen_epochs, by_epoch=True, begin=0, end=frozen_epochs,
         convert_to_iter_based=True),
]
# BoB's lr grid {8e-5, 1e-4, 2e-4, 3e-4} (configs/grids/frozen_*.py); 1e-4 is ViTDet's base lr for batch 64
frozen_optimizer = dict(lr=1e-4, weight_decay=0.1)
