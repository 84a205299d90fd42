# 200-epoch LSJ schedule of Li et al. 2021: linear warmup over 0.25 epoch,
# then half-period cosine decay to 0 (paper: "Training formula"; schedules of
# 25/50/100 epochs for pre-trained inits, 100/200/400 for random init).
_base_ = './adamw_amp_batch64.py'
max_epochs = 200
train_cfg = dict(
    type='EpochBasedTrainLoop', max_epochs=max_epochs, val_interval=40)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
param_scheduler = [
    # paper: linear warmup over 0.25 epoch (converted to iterations)
    dict(
        type='LinearLR',
        start_factor=0.001,
        by_epoch=True,
        begin=0,
        end=0.25,
        convert_to_iter_based=True),
    # paper: half-period cosine decay over the whole run
    dict(
        type='CosineAnnealingLR',
        eta_min=0.,
        T_max=max_epochs,
        by_epoch=True,
        begin=0,
        end=max_epochs,
        convert_to_iter_based=True),
]
