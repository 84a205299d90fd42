"""The mini study (tools/mini_study.py): its pre-training configs, its checkpoints reaching the
detector, its plan, progress and resume rules, and (slow) the whole command at toy size.

Each pre-training config runs one iteration with mmpretrain's models under mmengine's Runner
and writes mmengine's ``iter_1.pth``; the detector config of that init is then built by a
Runner, whose weight initialization must leave the file's tensors in the backbone (mapped by
hand here, not by the converter under test), with the paper's position rules.
"""
import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from mmengine.hooks import Hook
from mmengine.runner import Runner

from mmvitdet.checkpoints.rel_pos_resize import resize_rel_pos_table
from mmvitdet.datasets.shapes import ShapesDatasetError
from mmvitdet.datasets.shapes_unlabeled import (LABEL_FILE, ensure_unlabeled_shapes)
from mmvitdet.engine.launch_config import load_launch_config
from mmvitdet.study import INITS, PRETRAIN, build_plan, split_budget
from mmvitdet.study.commands import finetune_options, pretrain_options, train_command
from mmvitdet.study.plan import finetune_config, pretrain_config
from mmvitdet.study.progress import units_done
from mmvitdet.study.out_lock import exclusive_out
from mmvitdet.study.runner import (StudyError, marker_path, read_marker, stage_threads,
                                   write_json_atomic, write_plan_record)

REPO = Path(__file__).resolve().parents[1]
SHAPES = dict(num_train=8, num_val=4, img_size=192, seed=0,
              classes=['circle', 'square', 'triangle'])


# ------------------------------------------------------------------ unlabeled set

def test_unlabeled_set_is_deterministic_with_image_level_labels(tmp_path):
    a = ensure_unlabeled_shapes(tmp_path / 'a', num_images=6, seed=3)
    b = ensure_unlabeled_shapes(tmp_path / 'b', num_images=6, seed=3)
    for i in range(6):
        name = f'unlabeled/{i:06d}.png'
        assert (Path(a) / name).read_bytes() == (Path(b) / name).read_bytes()
    labels = json.loads((Path(a) / LABEL_FILE).read_text())
    assert labels['metainfo']['classes'] == ['circle', 'square', 'triangle', 'rectangle',
                                             'star']
    assert len(labels['data_list']) == 6
    for item in labels['data_list']:
        assert item['gt_label'] == sorted(set(item['gt_label']))
        assert all(0 <= c < 5 for c in item['gt_label']) and item['gt_label']
    other = ensure_unlabeled_shapes(tmp_path / 'c', num_images=6, seed=4)
    assert (Path(other) / 'unlabeled/000000.png').read_bytes() != (
        Path(a) / 'unlabeled/000000.png').read_bytes()
    # reused when identical, an error naming the parameters when not
    assert ensure_unlabeled_shapes(a, num_images=6, seed=3) == a
    with pytest.raises(ShapesDatasetError, match='other parameters'):
        ensure_unlabeled_shapes(a, num_images=7, seed=3)


# ------------------------------------------------------- pre-training, one iteration each

@pytest.fixture(scope='module')
def data_root(tmp_path_factory):
    root = tmp_path_factory.mktemp('mini_study_data')
    ensure_unlabeled_shapes(root / 'shapes_unlabeled', num_images=8)
    return root


@pytest.fixture(scope='module')
def pretrained(data_root, tmp_path_factory):
    """method -> iter_1.pth written by mmengine's Runner around mmpretrain's model."""
    plan = build_plan(str(tmp_path_factory.mktemp('plan')), 1.0, 1, 8, str(data_root))
    files = {}
    for stage in [s for s in plan.stages if s.kind == 'pretrain']:
        method = stage.name[len('pretrain-'):]
        stage.spec['max_iters'] = 1
        options = dict(o.split('=', 1) for o in pretrain_options(stage))
        options = {k: (v if k.endswith('data_root') else int(v)) for k, v in options.items()}
        options.update({'train_dataloader.batch_size': 4, 'train_dataloader.num_workers': 0,
                        'train_dataloader.persistent_workers': False,
                        'default_hooks.logger.interval': 1})
        work_dir = tmp_path_factory.mktemp(method)
        cfg = load_launch_config(str(REPO / pretrain_config(method)), options, str(work_dir))
        cfg.visualizer.name = f'visualizer_{method}'
        Runner.from_cfg(cfg).train()
        files[method] = work_dir / 'iter_1.pth'
    return files


@pytest.mark.parametrize('method', list(PRETRAIN))
def test_pretraining_config_runs_one_iteration(pretrained, method):
    path = pretrained[method]
    assert path.is_file(), f'mmengine did not write {path}'
    ckpt = torch.load(path, map_location='cpu', weights_only=False)
    assert ckpt['meta']['iter'] == 1
    state = ckpt['state_dict']
    assert 'backbone.patch_embed.projection.weight' in state
    assert state['backbone.layers.7.ln1.weight'].shape == (192, )  # 8 blocks of width 192
    scalars = sorted(path.parent.glob('*/vis_data/scalars.json'))
    records = [json.loads(line) for line in scalars[-1].read_text().splitlines()]
    assert torch.isfinite(torch.tensor(records[-1]['loss']))


class _Stop(Exception):
    pass


class _SnapshotBackbone(Hook):
    """Copies the backbone's state when training starts (after Runner weight init), then stops."""

    def __init__(self):
        self.state = None

    def before_train(self, runner) -> None:
        self.state = {k: v.detach().clone() for k, v in runner.model.backbone.state_dict().items()}
        raise _Stop


def _expected_backbone(file_state, beit: bool):
    """Detector backbone keys -> tensors, mapped by hand from an mmpretrain ViT state dict."""
    src = {k[len('backbone.'):]: v for k, v in file_state.items() if k.startswith('backbone.')}
    expected = {'patch_embed.proj.weight': src['patch_embed.projection.weight'],
                'patch_embed.proj.bias': src['patch_embed.projection.bias']}
    names = {'norm1': 'ln1', 'norm2': 'ln2', 'attn.qkv': 'attn.qkv', 'attn.proj': 'attn.proj',
             'mlp.fc1': 'ffn.layers.0.0', 'mlp.fc2': 'ffn.layers.1'}
    for i in range(8):
        for ours, theirs in names.items():
            for p in ('weight', 'bias'):
                if f'layers.{i}.{theirs}.{p}' in src:
                    expected[f'blocks.{i}.{ours}.{p}'] = src[f'layers.{i}.{theirs}.{p}']
        if beit:
            for p in ('attn.q_bias', 'attn.v_bias', 'gamma_1', 'gamma_2'):
                expected[f'blocks.{i}.{p}'] = src[f'layers.{i}.{p}']
    return src, expected


@pytest.mark.parametrize('method', list(PRETRAIN))
def test_pretrained_weights_reach_the_detector(pretrained, data_root, tmp_path, method):
    options = {'model.backbone.init_cfg.checkpoint': str(pretrained[method]),
               'train_dataloader.num_workers': 0, 'train_dataloader.persistent_workers': False,
               'val_dataloader.num_workers': 0, 'val_dataloader.persistent_workers': False}
    det_root = str(data_root / 'shapes')
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        options[f'{loader}.dataset.data_root'] = det_root + '/'
        options[f'{loader}.dataset.generate'] = SHAPES
    options['val_evaluator.ann_file'] = det_root + '/annotations/instances_val.json'
    options['test_evaluator.ann_file'] = det_root + '/annotations/instances_val.json'
    cfg = load_launch_config(str(REPO / finetune_config(method)), options, str(tmp_path))
    cfg.visualizer.name = f'visualizer_det_{method}'
    snapshot = _SnapshotBackbone()
    runner = Runner.from_cfg(cfg)
    runner.register_hook(snapshot)
    with pytest.raises(_Stop):
        runner.train()
    got = snapshot.state
    beit = method == 'beit-simmim'
    file_state = torch.load(pretrained[method], map_location='cpu', weights_only=True)['state_dict']
    src, expected = _expected_backbone(file_state, beit)
    for key, value in expected.items():
        assert torch.equal(got[key], value), f'{method}: {key} differs from the file'
    if beit:
        # paper: BEiT's relative table transferred (3 class rows dropped): as is for the 7x7
        # windows (= the pre-training grid), resized for the 12x12 global blocks
        table = src['rel_pos_bias.relative_position_bias_table'][:-3]
        assert torch.equal(got['rel_pos_bias_window.relative_position_bias_table'], table)
        assert torch.allclose(got['rel_pos_bias_global.relative_position_bias_table'],
                              resize_rel_pos_table(table, (7, 7), (12, 12)))
        assert 'pos_embed' not in src  # BEiT has none: the detector's stays random
        assert got['pos_embed'].abs().sum() > 0
    else:
        # paper: abs embedding transferred (class slot dropped; 7x7 = the detector's
        # pre-training grid, so no resize), relative tables zero-initialized
        assert torch.equal(got['pos_embed'], src['pos_embed'][:, 1:])
        for table in ('rel_pos_bias_window', 'rel_pos_bias_global'):
            assert not got[f'{table}.relative_position_bias_table'].any()
    compared = set(expected) | {'pos_embed', 'rel_pos_bias_window.relative_position_bias_table',
                                'rel_pos_bias_global.relative_position_bias_table'}
    buffers = {k for k in got if 'relative_position_index' in k}
    assert set(got) - compared - buffers == set(), 'backbone tensors not checked'


@pytest.mark.parametrize('backbone', [
    dict(type='MAEViT', mask_ratio=0.75), dict(type='MoCoV3ViT', stop_grad_conv1=True),
    dict(type='MaskFeatViT'), dict(type='VisionTransformer'),
    dict(type='BEiTPretrainViT', use_abs_pos_emb=False, use_shared_rel_pos_bias=True),
    dict(type='BEiTViT', use_abs_pos_emb=False, use_rel_pos_bias=True,
         use_shared_rel_pos_bias=False)], ids=lambda b: b['type'])
def test_mmpretrain_backbone_layouts_load_into_the_detector_vit(backbone, tmp_path):
    """Every mmpretrain ViT class a pre-training writes, as its algorithm saves it."""
    from mmpretrain.registry import MODELS as PRETRAIN_MODELS
    import mmpretrain.models  # noqa: F401  registration
    from mmdet.registry import MODELS
    from mmvitdet.checkpoints import load_pretrained
    src = PRETRAIN_MODELS.build(dict(backbone, arch=dict(
        embed_dims=192, num_layers=8, num_heads=3, feedforward_channels=768), img_size=112,
        patch_size=16))
    with torch.no_grad():  # as after training: no tensor left at a constant init
        for param in src.parameters():
            param.normal_()
    path = tmp_path / 'iter_1.pth'
    torch.save(dict(meta=dict(iter=1), state_dict={
        f'backbone.{k}': v for k, v in src.state_dict().items()}), path)
    beit = backbone['type'].startswith('BEiT')
    per_block = backbone['type'] == 'BEiTViT'  # one table per block, kept as such
    vit = MODELS.build(dict(
        type='ViT', arch=dict(embed_dims=192, num_layers=8, num_heads=3, mlp_ratio=4),
        img_size=192, pretrain_img_size=112, window_size=7, global_attn_indices=(1, 3, 5, 7),
        out_indices=(1, 3, 5, 7), use_rel_pos_bias='per_block' if per_block else 'shared',
        rel_pos_zero_init=not beit,
        qkv_bias='qv' if beit else True, layer_scale_init_value=0.1 if beit else None))
    load_pretrained(vit, str(path))
    _, expected = _expected_backbone(torch.load(path, weights_only=True)['state_dict'], beit)
    got = vit.state_dict()
    for key, value in expected.items():
        assert torch.equal(got[key], value), f"{backbone['type']}: {key}"
    if not beit:
        assert torch.equal(got['pos_embed'], src.pos_embed[:, 1:].detach())
    else:  # transferred relative tables (zero-init would leave them zero)
        tables = [v for k, v in got.items() if k.endswith('relative_position_bias_table')]
        assert tables and all(t.any() for t in tables)


# ------------------------------------------------------------- plan, progress, resume

def test_budget_sets_equal_pretraining_time_and_finetuning_epochs():
    iters, epochs = split_budget(60, 1)
    assert set(iters) == set(PRETRAIN) and epochs >= 2
    from mmvitdet.study.plan import SECONDS_PER_ITER
    seconds = [iters[m] * SECONDS_PER_ITER[m] for m in iters]
    assert max(seconds) - min(seconds) <= max(SECONDS_PER_ITER.values())  # same wall time
    bigger, more_epochs = split_budget(120, 1)
    assert all(bigger[m] > iters[m] for m in iters) and more_epochs > epochs
    assert split_budget(60, 3)[1] < epochs  # seeds share the fine-tuning budget
    plan = build_plan('/o', 60, 1, 4000, '/d')
    assert abs(plan.est_seconds / 60 - 60) < 6
    with pytest.raises(ValueError, match='--seeds'):
        split_budget(60, 0)


def test_stage_commands_carry_the_plan(tmp_path):
    plan = build_plan(str(tmp_path), 60, 2, 4000, '/data')
    names = [s.name for s in plan.stages]
    assert names[:5] == ['data', 'pretrain-supervised', 'pretrain-mocov3',
                         'pretrain-beit-simmim', 'pretrain-mae']
    assert 'finetune-mae-seed1' in names and names[-1] == 'report'
    mae = next(s for s in plan.stages if s.name == 'finetune-mae-seed1')
    argv = train_command(str(REPO), plan, mae)
    assert argv[1].endswith('tools/train.py') and '--resume' in argv
    options = finetune_options(plan, mae)
    assert f'model.backbone.init_cfg.checkpoint={plan.pretrain_checkpoint("mae")}' in options
    assert plan.pretrain_checkpoint('mae').endswith(f"iter_{plan.pretrain_iters['mae']}.pth")
    assert 'randomness.seed=1' in options
    random = next(s for s in plan.stages if s.name == 'finetune-random-seed0')
    assert not any('init_cfg' in o for o in finetune_options(plan, random))


def test_frozen_track_adds_frozen_runs_of_every_init(tmp_path):
    """--protocols full,frozen: the full track's stages (names, specs, markers) unchanged, one frozen fine-tuning
    per init and seed on top with the frozen protocol's backbone settings and its own work dir."""
    full = build_plan(str(tmp_path), 60, 1, 4000, '/data')
    both = build_plan(str(tmp_path), 60, 1, 4000, '/data', protocols=('frozen', 'full'))
    assert both.protocols == ('full', 'frozen') and both.finetune_epochs == full.finetune_epochs
    by_name = {s.name: s for s in both.stages}
    for stage in full.stages[:-1]:
        assert by_name[stage.name].spec == stage.spec  # reused markers stay valid
    frozen = [s for s in both.stages if s.name.endswith('-frozen-seed0')]
    assert [s.name for s in frozen] == [f'finetune-{i}-frozen-seed0' for i in INITS]
    mae = by_name['finetune-mae-frozen-seed0']
    options = finetune_options(both, mae)
    assert 'model.backbone.frozen_stages=all' in options and 'model.backbone.drop_path_rate=0.0' in options
    assert f'model.backbone.init_cfg.checkpoint={both.pretrain_checkpoint("mae")}' in options
    argv = train_command(str(REPO), both, mae)
    assert argv[argv.index('--work-dir') + 1] == str(tmp_path / 'finetune' / 'mae-frozen_seed0')
    assert not any('frozen_stages' in o for o in finetune_options(both, by_name['finetune-mae-seed0']))
    for bad in (('frozen', ), ('full', 'cold')):
        with pytest.raises(ValueError, match='--protocols'):
            build_plan(str(tmp_path), 60, 1, 4000, '/data', protocols=bad)


def test_detector_configs_name_the_default_studys_checkpoints():
    from mmengine.config import Config
    plan = build_plan('work_dirs/mini_study', 60, 1, 4000, 'data')
    for method in PRETRAIN:
        cfg = Config.fromfile(str(REPO / finetune_config(method)))
        assert cfg.model.backbone.init_cfg.checkpoint == plan.pretrain_checkpoint(method)


def test_main_table_rows_labels_and_seed_statistics():
    from mmvitdet.analysis.groups import RunGroup
    from mmvitdet.analysis.run_identity import RunIdentity
    from mmvitdet.analysis.runs import Run
    from mmvitdet.study.report import main_table

    def group(init, boxes, protocol='full'):
        ident = RunIdentity(init=init, size='T', schedule=7, by_epoch=True, lr=1e-3, wd=0.1,
                            dp=0.0, variant='', checkpoint=None, init_source='test', protocol=protocol)
        return RunGroup(ident, [Run(f'/w/{init}{i}', 'finished', identity=ident, box=b,
                                    mask=b / 2) for i, b in enumerate(boxes)])

    plan = build_plan('/o', 60, 2, 4000, '/d')
    table = main_table(plan, [group('mae', [20.0, 22.0]), group('beit', [10.0, 10.0]),
                              group('random', [15.0])])
    rows = {r[0]: r for r in table.rows}
    assert list(rows) == ['supervised (shapes, multi-label)', 'random', 'MoCo v3',
                          'BEiT arch., SimMIM pixel target', 'MAE']
    assert rows['MAE'][2] == '21.0 ± 1.4 (n=2)' and rows['MAE'][3] == '10.5 ± 0.7 (n=2)'
    assert rows['BEiT arch., SimMIM pixel target'][2].startswith('10.0 ± 0.0')
    assert rows['random'][2] == '15.0' and rows['MoCo v3'][2] == '-'
    assert f"{plan.pretrain_iters['mae']} it x 64" in rows['MAE'][1]

    # the frozen track: both protocols side by side, and the gap
    def frozen(init, boxes):
        return group(init, boxes, protocol='frozen')
    plan = build_plan('/o', 60, 2, 4000, '/d', protocols=('full', 'frozen'))
    table = main_table(plan, [group('mae', [20.0, 22.0]), frozen('mae', [12.0, 14.0]), group('random', [15.0]),
                              frozen('random', [3.0])])
    col = {h: i for i, h in enumerate(table.headers)}
    rows = {r[0]: r for r in table.rows}
    assert rows['MAE'][col['APbox fine-tuned']] == '21.0 ± 1.4 (n=2)'
    assert rows['MAE'][col['APbox frozen']] == '13.0 ± 1.4 (n=2)' and rows['MAE'][col['frozen Δ']] == '-8.0'
    assert rows['random'][col['frozen Δ']] == '-12.0' and rows['random'][col['runs']] == '1 + 1'
    assert rows['MoCo v3'][col['frozen Δ']] == '-'


def test_progress_from_mmengine_log_lines():
    assert units_done('11/28 - mmengine - INFO - Iter(train) [ 120/400]  lr: 1e-3') == 120
    assert units_done('mmengine - INFO - Epoch(train)  [3][ 20/100]  lr: 1e-3') == 220
    assert units_done('mmengine - INFO - Epoch(val)  [3][ 2/7]') is None


def test_stage_threads(monkeypatch):
    assert stage_threads(None) is None and stage_threads('2') == 2
    monkeypatch.setattr('os.getloadavg', lambda: (50.0, 0.0, 0.0))
    assert stage_threads('auto') == 1
    monkeypatch.setattr('os.getloadavg', lambda: (0.0, 0.0, 0.0))
    assert stage_threads('auto') is None


def test_marker_of_another_plan_is_an_error(tmp_path):
    plan = build_plan(str(tmp_path), 60, 1, 4000, '/d')
    stage = plan.stages[1]
    assert read_marker(plan, stage) is None
    write_json_atomic(dict(name=stage.name, spec=stage.spec, wall_seconds=1.0),
                      marker_path(plan, stage))
    assert read_marker(plan, stage)['wall_seconds'] == 1.0
    other = build_plan(str(tmp_path), 30, 1, 4000, '/d')
    with pytest.raises(StudyError, match='another --out'):
        read_marker(other, other.stages[1])


def test_second_study_on_the_same_out_is_refused_and_writes_nothing(tmp_path, capsys):
    """Two invocations on one --out would resume from each other's checkpoints."""
    import importlib.util
    spec = importlib.util.spec_from_file_location('mini_study_cli', REPO / 'tools/mini_study.py')
    cli = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(cli)
    out = tmp_path / 'out'
    with exclusive_out(str(out)):
        with pytest.raises(StudyError, match=r'in use by another tools/mini_study.py \(PID \d+'):
            with exclusive_out(str(out)):
                pass
        assert cli.main(['--out', str(out), '--data-root', str(tmp_path / 'data')]) == 1
        assert 'in use by another' in capsys.readouterr().err
        assert not (out / 'plan.json').exists() and not (tmp_path / 'data').exists()
    with exclusive_out(str(out)):  # released when the holder closes it
        pass


def test_plan_record_of_another_plan_is_kept(tmp_path):
    path = str(tmp_path / 'plan.json')
    first = dict(command='python tools/mini_study.py', stages=[dict(name='a', spec=dict(n=1))])
    write_plan_record(first, path)
    write_plan_record(dict(first, command='python tools/mini_study.py --threads 1'), path)  # same stages
    other = dict(command='python tools/mini_study.py --budget-min 30',
                 stages=[dict(name='a', spec=dict(n=2))])
    with pytest.raises(StudyError, match='planned by `python tools/mini_study.py --threads 1`'):
        write_plan_record(other, path)
    assert json.loads(Path(path).read_text())['stages'] == first['stages']


# ------------------------------------------------------------------- whole command

@pytest.mark.slow
def test_mini_study_end_to_end_and_resume(tmp_path):
    args = [sys.executable, str(REPO / 'tools/mini_study.py'), '--budget-min', '0.1',
            '--num-unlabeled', '64', '--det-subset', '8', '--out', str(tmp_path / 'out'),
            '--data-root', str(tmp_path / 'data'), '--protocols', 'full,frozen']
    first = subprocess.run(args, cwd=REPO, capture_output=True, text=True, timeout=1800)
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
    assert 'ETA' in first.stdout
    out = tmp_path / 'out'
    for method in PRETRAIN:
        assert (out / 'pretrain' / method / 'iter_2.pth').is_file()
    summary = (out / 'summary.md').read_text()
    for label in ('MAE', 'MoCo v3', 'BEiT arch., SimMIM pixel target', 'random'):
        assert label in summary
    assert summary.count('loaded') >= 4  # a load report per pre-trained init
    assert (out / 'figures' / 'convergence_box.png').is_file()
    assert (out / 'tables' / 'mini_study_main.csv').is_file()
    assert 'APbox frozen' in summary and (out / 'finetune' / 'mae-frozen_seed0').is_dir()
    assert 'backbone frozen: 0 of' in (out / 'logs' / 'finetune-mae-frozen-seed0.log').read_text()
    again = subprocess.run(args, cwd=REPO, capture_output=True, text=True, timeout=600)
    assert again.returncode == 0, again.stderr[-3000:]
    assert again.stdout.count('finished earlier, skipped') == 15
