# ViTDet's recipe (Li et al. 2022) for 100 epochs at total batch 64: AdamW
# with layer-wise lr decay, 250-iteration linear warmup, step decay (x0.1)
# near the end, mixed precision. The configs set lr, wd, drop path and the
# decay rate (0.7 ViT-B, 0.8 ViT-L).
max_epochs = 100  # ViTDet: 184375 iterations at batch 64 on COCO ~ 100 epochs
optim_wrapper = dict(
    type='AmpOptimWrapper',  # ViTDet: mixed precision (needs CUDA)
    loss_scale='dynamic',
    constructor='DetectorLayerDecayOptimWrapperConstructor',
    optimizer=dict(
        type='AdamW',
        lr=1e-4,  # ViTDet: lr 1e-4 (MAE)
        betas=(0.9, 0.999),
        weight_decay=0.1),  # ViTDet: wd 0.1
    # ViTDet exempts norms and the abs position embedding from weight decay
    # (biases and relative tables keep it).
    paramwise_cfg=dict(
        layer_decay_rate=0.7,  # ViTDet: 0.7 for ViT-B (0.8 L)
        norm_decay_mult=0.,
        custom_keys={'pos_embed': dict(decay_mult=0.)}))
auto_scale_lr = dict(enable=True, base_batch_size=64)

train_cfg = dict(
    type='EpochBasedTrainLoop', max_epochs=max_epochs, val_interval=20)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
param_scheduler = [
    # ViTDet: linear warmup over 250 iterations from 0.001 x lr
    dict(
        type='LinearLR',
        start_factor=0.001,
        by_epoch=False,
        begin=0,
        end=250),
    # ViTDet: x0.1 at iterations 163889 and 177546 of 184375 (8/9 and 26/27
    # of training = epochs 88.9 and 96.3, rounded to whole epochs here since
    # mmengine's epoch milestones must be integers).
    dict(
        type='MultiStepLR',
        milestones=[89, 96],
        gamma=0.1,
        by_epoch=True,
        begin=0,
        end=max_epochs,
        convert_to_iter_based=True),
]
