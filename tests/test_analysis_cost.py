"""Cost benchmark of whole detectors: input-size rewrite, synthetic batches, measurement, table."""
import glob
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.config import Config

from mmvitdet.analysis.cost_benchmark import (CostResult, CostSpec, load_cost_config,
                                              measure_in_process, run_cost_benchmark)
from mmvitdet.analysis.cost_table import cost_table
from mmvitdet.analysis.input_size import configured_input_size, rewrite_input_size
from mmvitdet.analysis.run_identity import identify_run
from mmvitdet.analysis.synthetic_batch import make_batch

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
QUICKSTART = osp.join(REPO, 'configs/quickstart/mask-rcnn_vit-t-random_fpn_lsj-10e_shapes.py')
MAE_B = osp.join(REPO, 'configs/mae/mask-rcnn_vit-b-mae_fpn_lsj-100e_coco.py')
ABLATIONS = sorted(glob.glob(osp.join(REPO, 'configs/ablations/*/*.py')))
# The paper's ablations (MAE / BEiT ViT-B) and the patch-14 one beyond it (DINOv2 ViT-B).
PATCH14 = osp.join(REPO, 'configs/ablations/patch14/mask-rcnn_vit-b-dinov2-native-p14_fpn_lsj-100e_coco.py')
DINOV2_B = osp.join(REPO, 'configs/dinov2/mask-rcnn_vit-b-dinov2_fpn_lsj-100e_coco.py')
# The RoPE window-coordinate ablations of the 2025-26 releases, beyond the paper too.
ROPE_ABLATIONS = [p for p in ABLATIONS if 'rope-image-coords' in p]
# The frozen protocol's attention layout (beyond the paper too).
FROZEN_GLOBAL = osp.join(REPO, 'configs/ablations/attention/mask-rcnn_vit-b-mae-frozen-global_fpn_lsj-36e_coco.py')
PAPER_ABLATIONS = [p for p in ABLATIONS if p not in (PATCH14, FROZEN_GLOBAL) and p not in ROPE_ABLATIONS]


def test_rewrite_input_size_moves_backbone_pipelines_and_padding():
    cfg = Config.fromfile(MAE_B)
    changes = rewrite_input_size(cfg, 256, 'mae')
    assert configured_input_size(cfg) == (256, 256)
    assert cfg.model.data_preprocessor.pad_size_divisor == 256
    train = cfg.train_dataloader.dataset.pipeline
    assert next(t for t in train if t.type == 'RandomResize').scale == (256, 256)
    assert next(t for t in train if t.type == 'RandomCrop').crop_size == (256, 256)
    assert next(t for t in cfg.test_dataloader.dataset.pipeline if t.type == 'Resize').scale == (256, 256)
    assert 'model.backbone.img_size: (1024, 1024) -> (256, 256)' in changes
    assert 'model.data_preprocessor.pad_size_divisor: 1024 -> 256' in changes
    # the LSJ ratio range is not a size and stays
    assert next(t for t in train if t.type == 'RandomResize').ratio_range == (0.1, 2.0)


def test_rewrite_input_size_rejects_bad_sizes_and_non_vit_configs():
    cfg = Config.fromfile(QUICKSTART)
    with pytest.raises(ValueError, match='multiple of the patch size 16'):
        rewrite_input_size(cfg, 100, 'quickstart')
    no_size = Config(dict(model=dict(backbone=dict(type='ResNet', depth=50))))
    with pytest.raises(KeyError, match='r50.py: model.backbone has no img_size'):
        rewrite_input_size(no_size, 256, 'r50.py')


def test_cost_config_on_cpu_drops_amp_and_sets_score_threshold():
    cfg, changes = load_cost_config(CostSpec(MAE_B, img_size=128, device='cpu'))
    assert cfg.optim_wrapper.type == 'OptimWrapper' and 'loss_scale' not in cfg.optim_wrapper
    assert cfg.model.test_cfg.rcnn.score_thr == 0.0
    assert any(c.startswith('optim_wrapper: AmpOptimWrapper -> OptimWrapper') for c in changes)
    assert 'model.test_cfg.rcnn.score_thr: 0.05 -> 0.0' in changes
    kept, _ = load_cost_config(CostSpec(MAE_B, device='cpu', score_thr=None))
    assert kept.model.test_cfg.rcnn.score_thr == 0.05
    # --amp on CPU falls back to fp32 as tools/train.py does, instead of stopping
    cfg, changes = load_cost_config(CostSpec(MAE_B, device='cpu', amp=True))
    assert cfg.optim_wrapper.type == 'OptimWrapper'
    assert 'optim_wrapper: AmpOptimWrapper -> OptimWrapper (fp32, no CUDA)' in changes


def test_synthetic_batch_masks_lie_in_their_boxes():
    batch = make_batch(2, (64, 96), num_gt=5, num_classes=3, seed=1)
    assert [tuple(x.shape) for x in batch['inputs']] == [(3, 64, 96)] * 2
    assert batch['inputs'][0].dtype == torch.uint8
    inst = batch['data_samples'][1].gt_instances
    assert inst.bboxes.shape == (5, 4) and int(inst.labels.max()) < 3
    masks = inst.masks.to_ndarray()
    for box, mask in zip(inst.bboxes.numpy(), masks):
        ys, xs = np.nonzero(mask)
        assert len(xs) > 0
        assert xs.min() >= np.floor(box[0]) and xs.max() <= np.ceil(box[2])
        assert ys.min() >= np.floor(box[1]) and ys.max() <= np.ceil(box[3])


@pytest.mark.parametrize('mode', ['train', 'infer'])
def test_measure_quickstart_in_process(mode):
    spec = CostSpec(QUICKSTART, mode=mode, img_size=64, warmup=1, iters=1, num_gt=3,
                    count_flops=True)
    out = measure_in_process(spec)
    assert out['time'] > 0 and out['peak_bytes'] >= 0
    assert 1e6 < out['backbone_params'] < out['params'] < 1e7
    assert out['flops'] > 1e8


def test_measure_rejects_unknown_mode():
    with pytest.raises(ValueError, match="mode='eval'"):
        measure_in_process(CostSpec(QUICKSTART, mode='eval'))


def test_rounds_interleave_configs_and_count_flops_once():
    calls = []

    def fake_measure(spec):
        calls.append((spec.config, spec.mode, spec.count_flops))
        out = dict(time=1.0 if spec.config == 'a' else 3.0, peak_bytes=2**30, params=10,
                   backbone_params=5)
        if spec.count_flops:
            out['flops'] = 4e9
        return out

    specs = {name: {m: CostSpec(name, mode=m) for m in ('train', 'infer')} for name in 'ab'}
    results = run_cost_benchmark(specs, rounds=2, log=lambda m: None, measure=fake_measure)
    assert calls == [('a', 'train', True), ('a', 'infer', True), ('b', 'train', True),
                     ('b', 'infer', True), ('a', 'train', False), ('a', 'infer', False),
                     ('b', 'train', False), ('b', 'infer', False)]
    assert results[1].times['train'] == [3.0, 3.0] and results[1].flops == {'train': 4e9, 'infer': 4e9}
    table = cost_table(results, batch_size=1, title='t')
    row = dict(zip(table.headers, table.rows[1]))
    assert row['train time ×'] == '3.00×' and row['infer s/img'] == '3.000'
    assert row['train peak GiB'] == '1.00' and row['train GFLOP/img'] == '4.0'


def test_cost_table_divides_inference_by_batch():
    res = CostResult('x', {}, times={'train': [2.0], 'infer': [4.0]},
                     peak_bytes={'train': [1.0], 'infer': [1.0]}, flops={'infer': 8e9})
    table = cost_table([res], batch_size=2, title='t')
    row = dict(zip(table.headers, table.rows[0]))
    assert row['train s/iter'] == '2.000' and row['infer s/img'] == '2.000'
    assert row['infer GFLOP/img'] == '4.0' and row['train GFLOP/img'] == '-'


EXPECTED_VARIANTS = {
    'mask-rcnn_vit-b-mae-window_fpn_lsj-100e_coco.py': 'all-window',
    'mask-rcnn_vit-b-mae-global_fpn_lsj-100e_coco.py': 'all-global',
    'mask-rcnn_vit-b-mae-global-cp_fpn_lsj-100e_coco.py': 'all-global',
    'mask-rcnn_vit-b-mae-absonly_fpn_lsj-100e_coco.py': 'abs-only',
    'mask-rcnn_vit-b-mae-relonly_fpn_lsj-100e_coco.py': 'rel-only, discard pos_embed',
    'mask-rcnn_vit-b-beit-relzero_fpn_lsj-100e_coco.py': 'discard backbone.rel_pos_bias.',
    'mask-rcnn_vit-b-mae_single-scale_lsj-100e_coco.py': 'single-scale',
    'mask-rcnn_vit-b-mae_simple-pyramid_lsj-100e_coco.py': 'simple-pyramid',
}


def test_ablation_configs_differ_from_their_base_only_as_named():
    assert sorted(osp.basename(p) for p in PAPER_ABLATIONS) == sorted(EXPECTED_VARIANTS)
    for path in PAPER_ABLATIONS:
        ident = identify_run(Config.fromfile(path).to_dict(), path)
        assert ident.variant == EXPECTED_VARIANTS[osp.basename(path)], path
        assert (ident.size, ident.schedule, ident.lr, ident.wd, ident.dp) == ('B', 100, 8e-5, 0.1, 0.1)
        assert ident.init == ('beit' if 'beit' in path else 'mae')
    assert identify_run(Config.fromfile(MAE_B).to_dict(), MAE_B).variant == ''
    cp = Config.fromfile(ABLATIONS[[osp.basename(p) for p in ABLATIONS].index(
        'mask-rcnn_vit-b-mae-global-cp_fpn_lsj-100e_coco.py')])
    assert cp.model.backbone.with_cp and cp.model.backbone.window_size == 0


@pytest.mark.parametrize('path', ROPE_ABLATIONS, ids=osp.basename)
def test_rope_ablations_differ_from_their_release_config_only_in_window_coordinates(path):
    init = osp.basename(path).split('-')[3]  # mask-rcnn_vit-b-<init>-...: the config folder's name
    base_path = osp.join(REPO, 'configs', init, osp.basename(path).replace('-rope-image-coords', ''))
    ablation, base = Config.fromfile(path), Config.fromfile(base_path)
    assert ablation.model.backbone.rope == dict(base.model.backbone.rope, window_coords='image')
    ablation.model.backbone.rope.window_coords = 'window'
    assert ablation.to_dict()['model'] == base.to_dict()['model']
    ident, base_ident = identify_run(ablation.to_dict(), path), identify_run(base.to_dict(), base_path)
    assert identify_run(Config.fromfile(path).to_dict(), path).variant == 'rope-image-coords'
    assert ident.init == base_ident.init == init and base_ident.variant == ''


def test_frozen_all_global_ablation_differs_from_the_frozen_config_only_in_attention():
    ablation = identify_run(Config.fromfile(FROZEN_GLOBAL).to_dict(), FROZEN_GLOBAL)
    base_path = osp.join(REPO, 'configs/mae/mask-rcnn_vit-b-mae-frozen_fpn_lsj-36e_coco.py')
    base = identify_run(Config.fromfile(base_path).to_dict(), base_path)
    assert (ablation.variant, base.variant) == ('all-global', '')
    assert ablation.protocol == base.protocol == 'frozen'
    fields = ('init', 'size', 'schedule', 'lr', 'wd', 'dp', 'detector')
    assert [getattr(ablation, f) for f in fields] == [getattr(base, f) for f in fields]


def test_patch14_ablation_differs_from_the_dinov2_config_only_in_patch_size():
    native = identify_run(Config.fromfile(PATCH14).to_dict(), PATCH14)
    base = identify_run(Config.fromfile(DINOV2_B).to_dict(), DINOV2_B)
    assert base.variant == '' and native.variant == 'patch 14'  # StrideResample is part of the change
    assert native.init == base.init == 'dinov2'
    fields = ('size', 'schedule', 'lr', 'wd', 'dp')
    assert [getattr(native, f) for f in fields] == [getattr(base, f) for f in fields]


@pytest.mark.slow
@pytest.mark.parametrize('path', ABLATIONS, ids=osp.basename)
def test_ablation_config_trains_one_step(path):
    out = measure_in_process(CostSpec(path, mode='train', img_size=128, warmup=0, iters=1,
                                      num_gt=3))
    assert out['time'] > 0 and out['params'] > 1e8


@pytest.mark.slow
def test_benchmark_cost_cli_runs_fresh_processes(tmp_path, capsys):
    import importlib.util
    spec = importlib.util.spec_from_file_location(
        'benchmark_cost', osp.join(REPO, 'tools/analysis/benchmark_cost.py'))
    cli = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(cli)
    cli.main([QUICKSTART, QUICKSTART, '--names', 'a', 'b', '--img-size', '64', '--warmup', '0',
              '--iters', '1', '--rounds', '1', '--num-gt', '3', '--out', str(tmp_path / 'cost')])
    out = capsys.readouterr().out
    assert '### Cost at 64x64 (rewritten), CPU, batch 1, 1 rounds x 1 iters' in out
    rows = [line.split(' | ') for line in out.splitlines() if line.startswith(('| a |', '| b |'))]
    assert len(rows) == 2
    assert rows[0][1:4] == rows[1][1:4]  # same params and FLOPs: the same config
    assert rows[0][5] == '1.00×' and float(rows[0][4]) > 0
    assert osp.getsize(tmp_path / 'cost.tex') > 0
