"""Every config builds; the 10 final configs and the ViTDet variants match the papers' tables.

COCO configs read a stand-in COCO folder (shapes images under the COCO file
layout with COCO class names) through MMVITDET_DATA_ROOT; models are built on
the meta device (structure only) except in the one training-iteration test.
"""
import json
import math
import shutil
from pathlib import Path

import pytest
import torch
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper
from mmengine.registry import PARAM_SCHEDULERS, DefaultScope

import mmvitdet  # noqa: F401
from mmdet.datasets import CocoDataset
from mmdet.registry import DATASETS, MODELS
from mmvitdet.checkpoints import FORMATS
from mmvitdet.datasets import DataNotFoundError, generate_shapes_dataset

REPO = Path(__file__).resolve().parents[1]
CONFIGS = REPO / 'configs'
# Detector configs. configs/mini_study/pretrain holds mmpretrain pre-training configs (no detector, no val
# loader); tests/test_mini_study.py runs each of them for an iteration with mmengine's Runner.
# The frozen / Cascade siblings of the init configs (a template each, written by tools/misc/protocol_configs.py)
# are built and trained at reduced size in tests/test_protocols.py.
ALL_CONFIGS = sorted(p for p in CONFIGS.rglob('*.py')
                     if not {'_base_', 'grids', 'pretrain'} & set(p.relative_to(CONFIGS).parts)
                     and '-frozen_' not in p.name and not p.name.startswith('cascade-'))
IMAGENET = ([123.675, 116.28, 103.53], [58.395, 57.12, 57.375])
COCO_EPOCH_ITERS = 1848  # 118k COCO train images / batch 64

# Li et al. 2021, "Hyperparameter protocol", chosen values: init -> (lr, wd, dp ViT-B, dp ViT-L).
PAPER_TABLE = {
    'random': (1.6e-4, 0.2, 0.1, 0.3),
    'supervised': (8e-5, 0.1, 0.1, 0.3),
    'mocov3': (1.6e-4, 0.1, 0.1, 0.3),
    'beit': (8e-5, 0.1, 0.1, 0.3),
    'mae': (8e-5, 0.1, 0.1, 0.3),
}
# Best schedule per init: MAE ViT-B peaks at 100 epochs (48.1 / 50.1 / 50.3 at 25 / 50 / 100); pre-trained
# inits overfit past ~100 epochs, random init past ~400 (the lengths for the others are our reading).
EPOCHS = {'random': 400, 'supervised': 100, 'mocov3': 100, 'beit': 100, 'mae': 100}
# "placed evenly at each d/4th block"; taps at d/4, 2d/4, 3d/4, d.
GLOBAL_BLOCKS = {'b': (2, 5, 8, 11), 'l': (5, 11, 17, 23)}
# Checkpoint (file, format, pixel mean/std) per init and size; None: random init.
CHECKPOINTS = {
    ('random', 'b'): None,
    ('random', 'l'): None,
    ('supervised', 'b'): ('deit_base_patch16_224-b5f2ef4d.pth', 'timm', IMAGENET),
    ('supervised', 'l'): ('deit_3_large_224_1k.pth', 'timm', IMAGENET),
    ('mocov3', 'b'): ('vit-b-300ep.pth.tar', 'mocov3', IMAGENET),
    ('mocov3', 'l'): ('mocov3_vit-large-p16_64xb64-amp-coslr-300e_in1k-224_20220829-9b88a442.pth', 'mmpretrain',
                      IMAGENET),
    ('beit', 'b'): ('beit_vit-base-p16_8xb256-amp-coslr-300e_in1k_20221128-ab79e626.pth', 'mmpretrain', IMAGENET),
    ('beit', 'l'): ('beit_large_patch16_224_pt22k.pth', 'beit', ([127.5] * 3, [127.5] * 3)),
    ('mae', 'b'): ('mae_pretrain_vit_base.pth', 'mae', IMAGENET),
    ('mae', 'l'): ('mae_pretrain_vit_large.pth', 'mae', IMAGENET),
}
# ViTDet (Li et al. 2022): init -> (lr, wd, dp B, dp L); layer decay 0.7 (B) / 0.8 (L); 250-iteration warmup.
VITDET_TABLE = {'mae': (1e-4, 0.1, 0.1, 0.4), 'supervised': (8e-5, 0.1, 0.1, 0.4)}
VITDET_DECAY = {'b': 0.7, 'l': 0.8}


@pytest.fixture(autouse=True)
def mmdet_scope():
    """Build in mmdet's registry scope without leaving it as the default for other test files."""
    with DefaultScope.overwrite_default_scope('mmdet'):
        yield


def final_config(init, size):
    return CONFIGS / init / f'mask-rcnn_vit-{size}-{init}_fpn_lsj-{EPOCHS[init]}e_coco.py'


@pytest.fixture(scope='module')
def coco_root(tmp_path_factory):
    """A few shapes images under COCO's layout, their categories renamed to COCO's 80 classes."""
    root = tmp_path_factory.mktemp('coco')
    shapes = generate_shapes_dataset(str(root / 'shapes'), num_train=4, num_val=2, img_size=96, seed=1)
    (root / 'annotations').mkdir()
    coco_classes = CocoDataset.METAINFO['classes']
    for split in ('train', 'val'):
        with open(shapes.ann_files[split]) as f:
            data = json.load(f)
        # shapes category k (1-based) becomes COCO category k; every COCO class is declared
        data['categories'] = [dict(id=i + 1, name=n, supercategory='thing') for i, n in enumerate(coco_classes)]
        with open(root / 'annotations' / f'instances_{split}2017.json', 'w') as f:
            json.dump(data, f)
        shutil.copytree(shapes.img_dirs[split], root / f'{split}2017')
    return root


def load(path, data_root=None, shapes_root=None, monkeypatch=None):
    """Config.fromfile with the stand-in data: COCO via MMVITDET_DATA_ROOT, shapes configs at a tmp root."""
    if data_root is not None:
        monkeypatch.setenv('MMVITDET_DATA_ROOT', f'{data_root}/')
    cfg = Config.fromfile(str(path))
    if shapes_root is not None:
        ann = f'{shapes_root}/annotations/instances_val.json'
        for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
            ds = cfg[loader].dataset
            if ds.type == 'ShapesDataset':
                ds.data_root = f'{shapes_root}/'
                ds.generate = dict(ds.generate, num_train=4, num_val=2)
        for ev in ('val_evaluator', 'test_evaluator'):
            if cfg[ev].get('ann_file', '').endswith('instances_val.json'):
                cfg[ev].ann_file = ann
    return cfg


def cpu_optim(cfg):
    """mmengine's AmpOptimWrapper needs CUDA: plain OptimWrapper on CPU, everything else unchanged."""
    ow = cfg.optim_wrapper.copy()
    if ow.get('type') == 'AmpOptimWrapper':
        ow.type = 'OptimWrapper'
        ow.pop('loss_scale', None)
    return ow


def weight_decay_by_name(model, cfg):
    """Parameter name -> weight decay of the optimizer the config builds for ``model`` (CPU optim wrapper)."""
    groups = build_optim_wrapper(model, cpu_optim(cfg)).optimizer.param_groups
    names = {id(p): n for n, p in model.named_parameters()}
    return {names[id(p)]: g['weight_decay'] for g in groups for p in g['params']}


def build_schedulers(cfg, optimizer, epoch_length):
    """Param schedulers as the Runner builds them (epoch-based ones converted to iterations)."""
    out = []
    for s in cfg.param_scheduler:
        s = dict(s)
        cls = PARAM_SCHEDULERS.get(s.pop('type'))
        if s.pop('convert_to_iter_based', False):
            out.append(cls.build_iter_from_epoch(optimizer, **s, epoch_length=epoch_length))
        else:
            out.append(cls(optimizer, **s))
    return out


def meta_model(cfg):
    model_cfg = cfg.model.copy()
    model_cfg.backbone = dict(model_cfg.backbone, init_cfg=None)
    with torch.device('meta'):
        return MODELS.build(model_cfg)


@pytest.mark.parametrize('path', ALL_CONFIGS, ids=lambda p: str(p.relative_to(CONFIGS)))
def test_config_builds(path, coco_root, tmp_path, monkeypatch):
    """Model (meta), datasets with a sample through the train pipeline, optimizer and schedulers."""
    cfg = load(path, coco_root, tmp_path / 'shapes', monkeypatch)
    model = meta_model(cfg)
    assert model.backbone.__class__.__name__ == 'ViT'
    for loader in ('train_dataloader', 'val_dataloader'):
        dataset = DATASETS.build(cfg[loader].dataset)
        assert len(dataset) > 0, f'{path}: {loader} is empty'
    sample = dataset[0]  # the val pipeline end to end
    assert sample['inputs'].shape[0] == 3
    optim_wrapper = build_optim_wrapper(model, cpu_optim(cfg))
    schedulers = build_schedulers(cfg, optim_wrapper.optimizer, epoch_length=16)
    assert schedulers
    assert cfg.train_cfg.max_epochs >= 1


@pytest.mark.parametrize('init', list(PAPER_TABLE))
@pytest.mark.parametrize('size', ['b', 'l'])
def test_final_config_matches_paper(init, size, monkeypatch):
    path = final_config(init, size)
    assert path.is_file(), f'missing final config {path}'
    cfg = load(path, '/nonexistent', monkeypatch=monkeypatch)
    lr, wd, dp_b, dp_l = PAPER_TABLE[init]
    opt, bb = cfg.optim_wrapper.optimizer, cfg.model.backbone
    assert (opt.type, opt.lr, opt.weight_decay, tuple(opt.betas)) == ('AdamW', lr, wd, (0.9, 0.999))
    assert bb.drop_path_rate == (dp_b if size == 'b' else dp_l)
    assert cfg.train_cfg.max_epochs == EPOCHS[init]
    assert bb.arch == {'b': 'base', 'l': 'large'}[size]
    assert tuple(bb.global_attn_indices) == GLOBAL_BLOCKS[size] == tuple(bb.out_indices)
    assert bb.window_size == 14 and bb.img_size == (1024, 1024)
    # position: abs + shared rel tables everywhere; BEiT transfers its table, the rest zero-init it
    assert bb.use_abs_pos_embed is True and bb.use_rel_pos_bias == 'shared'
    assert bb.rel_pos_zero_init is (init != 'beit')
    assert bb.get('qkv_bias', True) == ('qv' if init == 'beit' else True)
    assert bb.get('with_cp', False) is (size == 'l')
    expected = CHECKPOINTS[(init, size)]
    if expected is None:
        assert bb.get('init_cfg') is None
        assert (cfg.model.data_preprocessor.mean, cfg.model.data_preprocessor.std) == IMAGENET
    else:
        name, fmt, (mean, std) = expected
        assert bb.init_cfg.type == 'Pretrained' and bb.init_cfg.format == fmt and fmt in FORMATS
        assert bb.init_cfg.checkpoint == f'checkpoints/{name}'
        assert (cfg.model.data_preprocessor.mean, cfg.model.data_preprocessor.std) == (mean, std)
    # paper: LSJ 0.1-2.0 at 1024, padded to 1024 at train and test time; total batch 64; AMP
    resize = next(t for t in cfg.train_pipeline if t.type == 'RandomResize')
    assert resize.ratio_range == (0.1, 2.0) and resize.scale == (1024, 1024)
    assert cfg.model.data_preprocessor.pad_size_divisor == 1024
    assert cfg.auto_scale_lr == dict(enable=True, base_batch_size=64)
    assert cfg.train_dataloader.batch_size * 32 == 64
    assert cfg.optim_wrapper.type == 'AmpOptimWrapper'
    assert cfg.train_dataloader.dataset.data_root == '/nonexistent/'


def test_checkpoint_folder_from_environment(monkeypatch):
    monkeypatch.setenv('MMVITDET_CHECKPOINTS', '/models/vit')
    cfg = Config.fromfile(str(final_config('mae', 'b')))
    assert cfg.model.backbone.init_cfg.checkpoint == '/models/vit/mae_pretrain_vit_base.pth'


@pytest.mark.parametrize('epochs', [25, 50, 100, 200, 400])
def test_schedule_warmup_and_cosine(epochs):
    """0.25-epoch linear warmup from 0.001x, half-period cosine to 0 at the end (simulated per iteration)."""
    cfg = Config.fromfile(str(CONFIGS / '_base_' / 'schedules' / f'lsj-{epochs}e_adamw-cosine.py'))
    assert cfg.train_cfg.max_epochs == epochs
    base, epoch_len = 1e-3, 8
    optimizer = torch.optim.AdamW([torch.nn.Parameter(torch.zeros(1))], lr=base)
    schedulers = build_schedulers(cfg, optimizer, epoch_len)
    lrs = []
    for _ in range(epochs * epoch_len):
        lrs.append(optimizer.param_groups[0]['lr'])
        for s in schedulers:
            s.step()
    total = epochs * epoch_len
    assert lrs[0] == pytest.approx(base * 0.001)
    warm = epoch_len // 4
    cosine = lambda i: 0.5 * (1 + math.cos(math.pi * i / total))  # noqa: E731
    assert lrs[warm] == pytest.approx(base * cosine(warm), rel=1e-6)
    assert lrs[total // 2] == pytest.approx(base * 0.5, rel=1e-6)
    assert lrs[-1] < base * 1e-3
    # real COCO length: warmup ends after 0.25 epoch = 462 iterations
    converted = build_schedulers(cfg, optimizer, COCO_EPOCH_ITERS)
    assert converted[0].end == COCO_EPOCH_ITERS // 4 and converted[1].T_max == epochs * COCO_EPOCH_ITERS


def test_weight_decay_exemptions(monkeypatch):
    """Paper: no weight decay on norms, biases (BEiT's q/v too) and position tables."""
    cfg = load(final_config('beit', 'b'), '/nonexistent', monkeypatch=monkeypatch)
    model = meta_model(cfg)
    decay = weight_decay_by_name(model, cfg)
    for name in ('backbone.pos_embed', 'backbone.rel_pos_bias_window.relative_position_bias_table',
                 'backbone.rel_pos_bias_global.relative_position_bias_table', 'backbone.blocks.0.norm1.weight',
                 'backbone.blocks.0.attn.q_bias', 'backbone.blocks.0.attn.v_bias', 'backbone.blocks.0.mlp.fc1.bias',
                 'neck.1.fpn_convs.0.bn.weight', 'roi_head.bbox_head.fc_cls.bias'):
        assert decay[name] == 0, name
    for name in ('backbone.blocks.0.attn.qkv.weight', 'backbone.patch_embed.proj.weight',
                 'roi_head.bbox_head.fc_cls.weight'):
        assert decay[name] == 0.1, name


@pytest.mark.parametrize('init', list(VITDET_TABLE))
@pytest.mark.parametrize('size', ['b', 'l'])
def test_vitdet_configs(init, size, monkeypatch):
    cfg = load(CONFIGS / 'vitdet' / f'mask-rcnn_vit-{size}-{init}_sfp_lsj-100e_coco.py', '/nonexistent',
               monkeypatch=monkeypatch)
    lr, wd, dp_b, dp_l = VITDET_TABLE[init]
    rate = VITDET_DECAY[size]
    opt = cfg.optim_wrapper
    assert (opt.optimizer.lr, opt.optimizer.weight_decay) == (lr, wd)
    assert opt.constructor == 'DetectorLayerDecayOptimWrapperConstructor'
    assert opt.paramwise_cfg.layer_decay_rate == rate
    assert cfg.model.backbone.drop_path_rate == (dp_b if size == 'b' else dp_l)
    assert cfg.model.neck.type == 'SimpleFeaturePyramid'
    assert cfg.model.backbone.out_indices == ((11, ) if size == 'b' else (23, ))
    warmup, step = cfg.param_scheduler
    assert (warmup.type, warmup.by_epoch, warmup.end) == ('LinearLR', False, 250)
    assert (step.type, step.milestones, step.gamma) == ('MultiStepLR', [89, 96], 0.1)
    if size == 'b':  # layer-wise lr on the built model (ViT-L has the same rule, 24 blocks)
        groups = build_optim_wrapper(meta_model(cfg), cpu_optim(cfg)).optimizer.param_groups
        by_name = {g['param_name']: g['lr'] for g in groups}
        assert by_name['backbone.patch_embed.proj.weight'] == pytest.approx(lr * rate**13)
        assert by_name['backbone.blocks.0.attn.qkv.weight'] == pytest.approx(lr * rate**12)
        assert by_name['backbone.blocks.11.attn.qkv.weight'] == pytest.approx(lr * rate)
        assert by_name['neck.output_convs.0.conv.weight'] == pytest.approx(lr)
        assert by_name['roi_head.mask_head.conv_logits.weight'] == pytest.approx(lr)


def test_layer_decay_needs_a_vit_backbone():
    from mmvitdet.engine import DetectorLayerDecayOptimWrapperConstructor as Constructor

    class Detector(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.backbone = torch.nn.Linear(2, 2)

    constructor = Constructor(dict(optimizer=dict(type='AdamW', lr=1e-4)), dict(layer_decay_rate=0.7))
    with pytest.raises(TypeError, match="has no backbone with get_layer_depth.*type='ViT'"):
        constructor(Detector())


def test_missing_coco_names_the_variable(monkeypatch, tmp_path):
    cfg = load(final_config('mae', 'b'), tmp_path / 'no-coco', monkeypatch=monkeypatch)
    with pytest.raises(DataNotFoundError, match='MMVITDET_DATA_ROOT') as err:
        DATASETS.build(cfg.train_dataloader.dataset)
    assert str(tmp_path / 'no-coco') in str(err.value)


@pytest.mark.slow  # ~25 s on 2 idle cores (ViT-B over a padded 14x14 window), a minute when shared
@pytest.mark.parametrize('device', [
    'cpu',
    pytest.param('cuda', marks=pytest.mark.skipif(not torch.cuda.is_available(),
                                                  reason='AmpOptimWrapper (the configs\' AMP) needs CUDA')),
])
def test_one_training_iteration_vit_b(device, coco_root, monkeypatch):
    """The MAE ViT-B config (random weights, 128 px instead of 1024) trains one step: on CPU with a plain
    OptimWrapper, on a GPU with the config's AmpOptimWrapper."""
    from mmengine.runner import Runner

    from mmvitdet.engine.launch_config import adapt_to_cpu

    cfg = load(final_config('mae', 'b'), coco_root, monkeypatch=monkeypatch)
    size = (128, 128)
    cfg.model.backbone.init_cfg = None
    cfg.model.backbone.img_size = size
    cfg.model.data_preprocessor.pad_size_divisor = size[0]
    for t in cfg.train_dataloader.dataset.pipeline:
        if t.type == 'RandomResize':
            t.scale = size
        if t.type == 'RandomCrop':
            t.crop_size = size
    cfg.train_dataloader.update(num_workers=0, persistent_workers=False, batch_size=1)
    # 32 sampled RoIs instead of 512: the 4conv1fc head on 512 RoIs alone takes ~30 s on 2 CPU cores
    cfg.model.train_cfg.rcnn.sampler.num = 32
    cfg.model.train_cfg.rpn_proposal.update(nms_pre=200, max_per_img=100)
    adapt_to_cpu(cfg)  # SyncBN -> BN: one process either way
    torch.manual_seed(0)
    model = MODELS.build(cfg.model).to(device)
    model.init_weights()
    optim_wrapper = build_optim_wrapper(model, cpu_optim(cfg) if device == 'cpu' else cfg.optim_wrapper)
    assert type(optim_wrapper).__name__ == ('OptimWrapper' if device == 'cpu' else 'AmpOptimWrapper')
    batch = next(iter(Runner.build_dataloader(cfg.train_dataloader, seed=0)))
    before = model.backbone.blocks[0].attn.qkv.weight.detach().clone()
    losses = model.train_step(batch, optim_wrapper)
    assert {'loss_rpn_cls', 'loss_cls', 'loss_bbox', 'loss_mask'} <= set(losses)
    assert all(torch.isfinite(v).all() for v in losses.values())
    changed = not torch.equal(before, model.backbone.blocks[0].attn.qkv.weight)
    if device == 'cpu':
        assert changed
    else:  # a dynamic loss scaler may skip its first step on overflow, lowering the scale instead
        assert changed or optim_wrapper.loss_scaler.get_scale() < 2.0**16
