# Li et al. 2021, BEiT init, ViT-L: Mask R-CNN with a plain ViT-L/16 from BEiT
# pre-training. Paper result (COCO val2017): 53.3 APbox / 47.1 APmask.
#
# The paper's BEiT-L is IN-1k only (800 epochs, trained by the authors) and no
# IN-1k-only BEiT-L is public. The official BEiT release is pre-trained on
# IN-22k (more data than the study allows; results are not comparable):
# beit_large_patch16_224_pt22k.pth of https://github.com/microsoft/unilm/tree/master/beit
# (https://conversationhub.blob.core.windows.net/beit-share-public/beit/beit_large_patch16_224_pt22k.pth),
# placed in the folder named by MMVITDET_CHECKPOINTS (default checkpoints/),
# or set model.backbone.init_cfg.checkpoint=PATH with --cfg-options.
_base_ = [
    '../_base_/models/mask-rcnn_vit-l_fpn.py',
    '../_base_/datasets/coco_instance_lsj-1024.py',
    # paper: pre-trained inits overfit past ~100 epochs (100 here, inferred)
    '../_base_/schedules/lsj-100e_adamw-cosine.py',
    '../_base_/default_runtime.py',
]
checkpoint_dir = '{{$MMVITDET_CHECKPOINTS:checkpoints}}/'

model = dict(
    # The official BEiT code normalizes pixels with mean = std = 0.5 (x255)
    # (inferred: its default, not ImageNet statistics).
    data_preprocessor=dict(mean=[127.5, 127.5, 127.5], std=[127.5, 127.5, 127.5]),
    backbone=dict(
        # paper: BEiT's pre-trained relative biases transferred, abs
        # embedding added and randomly initialized, layer scale kept
        use_abs_pos_embed=True,
        use_rel_pos_bias='shared',
        rel_pos_zero_init=False,
        qkv_bias='qv',  # BEiT: q and v biases, no k bias
        layer_scale_init_value=1e-5,  # BEiT-L's layer scale (loaded)
        drop_path_rate=0.3,  # paper table: BEiT dp 0.3 (ViT-L)
        init_cfg=dict(
            type='Pretrained',
            checkpoint=checkpoint_dir + 'beit_large_patch16_224_pt22k.pth',
            format='beit')))
optim_wrapper = dict(
    optimizer=dict(
        lr=8e-5,  # paper: ViT-L reuses ViT-B's lr (BEiT 8e-5)
        weight_decay=0.1))  # paper: ViT-L reuses ViT-B's wd (BEiT 0.1)
