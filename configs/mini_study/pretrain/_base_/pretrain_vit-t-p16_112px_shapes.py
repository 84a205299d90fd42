# Shared by the mini study's pre-training configs (tools/mini_study.py): the
# quickstart detector's ViT (8 blocks of width 192, 3 heads, patch 16)
# pre-trained by mmpretrain on the unlabeled shapes set at 112 px, the
# detector's pretrain_img_size (7x7 token grid = its window size, as the
# paper's 14x14 ImageNet grid is ViTDet's window). mmpretrain's Runner writes
# iter_N.pth; tools/mini_study.py sets max_iters (and the schedule below with
# it) from --budget-min.
_base_ = 'mmpretrain::_base_/default_runtime.py'
custom_imports = dict(imports=['mmvitdet.pretrain'], allow_failed_imports=False)

data_root = 'data/shapes_unlabeled/'  # tools/mini_study.py generates it
img_size = 112
vit_arch = dict(embed_dims=192, num_layers=8, num_heads=3,
                feedforward_channels=768)  # = the quickstart's ViT
mean = [123.675, 116.28, 103.53]  # the quickstart detector's input statistics
std = [58.395, 57.12, 57.375]

train_dataloader = dict(
    batch_size=64,
    num_workers=1,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    collate_fn=dict(type='default_collate'),
    dataset=dict(
        type='CustomDataset',  # the image folder; labels unused
        data_root=data_root,
        data_prefix='unlabeled/',
        with_label=False))

max_iters = 1000
warmup_iters = 100
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters)
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-3, by_epoch=False, begin=0,
         end=warmup_iters),
    dict(type='CosineAnnealingLR', by_epoch=False, begin=warmup_iters,
         end=max_iters, T_max=max_iters - warmup_iters, eta_min=1e-5),
]
default_hooks = dict(
    logger=dict(type='LoggerHook', interval=10),
    checkpoint=dict(type='CheckpointHook', by_epoch=False, interval=250,
                    max_keep_ckpts=1))
log_processor = dict(by_epoch=False)
randomness = dict(seed=0)
