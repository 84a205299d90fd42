"""tools/sweep.py and mmvitdet.sweep: grid expansion, derived configs, run states, next stage, launch commands."""
import contextlib
import importlib.util
import io
import json
import os
import subprocess
from pathlib import Path

import pytest
from mmengine.config import Config

from mmvitdet.sweep import GridError, load_grid, retime_schedule, run_state, write_run_config
from mmvitdet.utils.protocol_configs import FINE_TUNING, init_name

REPO = Path(__file__).resolve().parents[1]
GRIDS = REPO / 'configs' / 'grids'

# The paper's protocol as data (Li et al. 2021): stage 1 = lr {8e-5, 1.6e-4, 3.2e-4} x wd {0.05, 0.1, 0.2} at dp 0,
# 25 epochs (random 100); stage 2 = dp {0, 0.1, 0.2, 0.3} at 50 epochs (random 100) at the chosen lr / wd; ViT-L
# re-tunes dp at ViT-B's lr / wd (our bracket {0.1, ..., 0.4}). Values as they appear in run names.
CHOSEN = {'random': ('1.6e-04', '0.2'), 'supervised': ('8e-05', '0.1'), 'mocov3': ('1.6e-04', '0.1'),
          'beit': ('8e-05', '0.1'), 'mae': ('8e-05', '0.1')}
STAGE1_LR, STAGE1_WD = ['8e-05', '1.6e-04', '3.2e-04'], ['0.05', '0.1', '0.2']


def expected_grids():
    out = {}
    for init, (lr, wd) in CHOSEN.items():
        e1, e2 = (100, 100) if init == 'random' else (25, 50)
        out[f'{init}_vit-b_stage1.py'] = (f'{init}_vit-b', STAGE1_LR, STAGE1_WD, ['0.0'], e1)
        out[f'{init}_vit-b_stage2.py'] = (f'{init}_vit-b', [lr], [wd], ['0.0', '0.1', '0.2', '0.3'], e2)
        out[f'{init}_vit-l_stage2.py'] = (f'{init}_vit-l', [lr], [wd], ['0.1', '0.2', '0.3', '0.4'], e2)
    # Inits beyond the paper: stage 1 for ViT-B; ViT-L's drop path at the grid centre until ViT-B's grid has run.
    for init in ('dino', 'dinov2', 'clip', 'siglip', 'sam'):
        out[f'{init}_vit-b_stage1.py'] = (f'{init}_vit-b', STAGE1_LR, STAGE1_WD, ['0.0'], 25)
        if init != 'dino':  # DINO has no public ViT-L
            out[f'{init}_vit-l_stage2.py'] = (f'{init}_vit-l', ['1.6e-04'], ['0.1'], ['0.1', '0.2', '0.3', '0.4'], 50)
    # The 2025-26 releases likewise; AIMv2 has no ViT-B, so its stage 1 runs on ViT-L.
    for init in ('dinov3', 'eva02', 'pe', 'siglip2'):
        out[f'{init}_vit-b_stage1.py'] = (f'{init}_vit-b', STAGE1_LR, STAGE1_WD, ['0.0'], 25)
        out[f'{init}_vit-l_stage2.py'] = (f'{init}_vit-l', ['1.6e-04'], ['0.1'], ['0.1', '0.2', '0.3', '0.4'], 50)
    out['aimv2_vit-l_stage1.py'] = ('aimv2_vit-l', STAGE1_LR, STAGE1_WD, ['0.0'], 25)
    # The frozen track (configs/grids/_base_/frozen.py): every init and size, BoB's lr x the paper's wd, 36 epochs.
    for config in sorted((REPO / 'configs').glob('*/mask-rcnn_vit-*_fpn_lsj-*e_coco.py')):
        match = FINE_TUNING.match(config.name)
        if match and config.parent.name not in ('ablations', 'grids'):
            name = f"{init_name(match['init'])}_vit-{match['size']}_frozen"
            out[f'{name}.py'] = (name, FROZEN_LR, STAGE1_WD, ['0.0'], 36)
    return out


FROZEN_LR = ['8e-05', '1e-04', '2e-04', '3e-04']  # Battle of the Backbones
EXPECTED = expected_grids()
# a dry run per grid file; the frozen ones come from one template (tests/test_protocols.py checks them all)
DRY_RUN = sorted(g for g in EXPECTED if not g.endswith('_frozen.py')) + ['mae_vit-b_frozen.py',
                                                                          'dinov3_vit-h-plus_frozen.py']


def sweep_main(*argv):
    spec = importlib.util.spec_from_file_location('mmvitdet_tool_sweep', REPO / 'tools' / 'sweep.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        rc = module.main([str(a) for a in argv])
    return rc, out.getvalue()


def listed_runs(output):
    return [line.split()[0] for line in output.splitlines() if line.startswith('  ')]


def test_every_grid_file_is_covered():
    assert sorted(p.name for p in GRIDS.glob('*.py')) == sorted(EXPECTED)


@pytest.mark.parametrize('grid', DRY_RUN)
def test_dry_run_lists_the_runs(grid, tmp_path):
    prefix, lrs, wds, dps, epochs = EXPECTED[grid]
    names = [f'{prefix}_lr{lr}_wd{wd}_dp{dp}_{epochs}e' for lr in lrs for wd in wds for dp in dps]
    rc, out = sweep_main(GRIDS / grid, '--dry-run', '--work-root', tmp_path / 'sweeps')
    assert rc == 0
    assert listed_runs(out) == names
    assert f'dry run: {len(names)} to run, 0 done; nothing written' in out
    assert not (tmp_path / 'sweeps').exists()


def test_example_name_of_the_issue():
    runs = [r.name for r in load_grid(str(GRIDS / 'mae_vit-b_stage1.py')).runs()]
    assert 'mae_vit-b_lr8e-05_wd0.1_dp0.0_25e' in runs


def test_run_config_inherits_and_retimes(tmp_path):
    grid = load_grid(str(GRIDS / 'mae_vit-b_stage1.py'))
    run = next(r for r in grid.runs() if r.name == 'mae_vit-b_lr3.2e-04_wd0.05_dp0.0_25e')
    path = tmp_path / 'run.py'
    text = write_run_config(grid, run, str(path))
    cfg = Config.fromfile(str(path))
    assert (cfg.optim_wrapper.optimizer.lr, cfg.optim_wrapper.optimizer.weight_decay) == (3.2e-4, 0.05)
    assert cfg.model.backbone.drop_path_rate == 0.0
    assert (cfg.train_cfg.max_epochs, cfg.train_cfg.val_interval, cfg.train_cfg.type) == (25, 5, 'EpochBasedTrainLoop')
    warmup, cosine = cfg.param_scheduler
    assert warmup.end == 0.25 and (cosine.T_max, cosine.end) == (25, 25)
    # everything else comes from the MAE config
    assert cfg.model.backbone.init_cfg.checkpoint.endswith('mae_pretrain_vit_base.pth')
    assert cfg.optim_wrapper.type == 'AmpOptimWrapper'
    assert write_run_config(grid, run, str(path)) == text  # same derivation: untouched
    path.write_text(text.replace('lr=0.00032', 'lr=0.001'))
    with pytest.raises(GridError, match='different derivation'):
        write_run_config(grid, run, str(path))
    assert 'lr=0.001' in path.read_text()  # the old file is kept


def test_retime_schedule():
    vitdet = [dict(type='LinearLR', by_epoch=False, begin=0, end=250),
              dict(type='MultiStepLR', milestones=[89, 96], by_epoch=True, begin=0, end=100)]
    warm, step = retime_schedule(vitdet, 100, 25)
    assert warm == vitdet[0]
    assert (step['milestones'], step['end']) == ([22, 24], 25)
    cosine = [dict(type='LinearLR', begin=0, end=0.25), dict(type='CosineAnnealingLR', T_max=100, end=100)]
    assert retime_schedule(cosine, 100, 50) == [cosine[0], dict(type='CosineAnnealingLR', T_max=50, end=50)]


def write_scalars(work_dir, stamp, records):
    vis = Path(work_dir) / stamp / 'vis_data'
    vis.mkdir(parents=True, exist_ok=True)
    with open(vis / 'scalars.json', 'a') as f:
        for rec in records:
            f.write(json.dumps(rec) + '\n')


def fake_run(work_dir, epochs_done, maps):
    """A work dir as mmengine leaves it: checkpoints, last_checkpoint, scalars with train and val lines."""
    work_dir = Path(work_dir)
    work_dir.mkdir(parents=True, exist_ok=True)
    for e in range(1, epochs_done + 1):
        (work_dir / f'epoch_{e}.pth').write_bytes(b'')
    if epochs_done:
        (work_dir / 'last_checkpoint').write_text(str(work_dir / f'epoch_{epochs_done}.pth'))
    records = [dict(lr=1e-4, loss=1.0, epoch=1, iter=4, step=4)]
    records += [{'coco/bbox_mAP': m, 'coco/segm_mAP': m / 2, 'step': s} for s, m in maps]
    write_scalars(work_dir, '20240101_000000', records)
    return work_dir


def test_run_states(tmp_path):
    assert run_state(str(tmp_path / 'none'), 4).status == 'new'
    partial = fake_run(tmp_path / 'p', 2, [(2, 0.31)])
    state = run_state(str(partial), 4)
    assert (state.status, state.best, state.last_checkpoint) == ('partial', 0.31, str(partial / 'epoch_2.pth'))
    done = fake_run(tmp_path / 'd', 4, [(2, 0.31), (4, 0.29)])
    assert (run_state(str(done), 4).status, run_state(str(done), 4).best) == ('done', 0.31)
    # trained to the end, interrupted before the final evaluation; then evaluated by tools/test.py
    uneval = fake_run(tmp_path / 'u', 4, [(2, 0.2)])
    assert run_state(str(uneval), 4).status == 'unevaluated'
    (uneval / '20240102_000000').mkdir()
    (uneval / '20240102_000000' / '20240102_000000.json').write_text(json.dumps({'coco/bbox_mAP': 0.4}))
    state = run_state(str(uneval), 4)
    assert (state.status, state.best) == ('done', 0.4)
    # a line cut by an interruption is skipped, not fatal
    with open(partial / '20240101_000000' / 'vis_data' / 'scalars.json', 'a') as f:
        f.write('{"coco/bbox_mAP": 0.9, "st')
    assert run_state(str(partial), 4).best == 0.31


def tmp_grid(tmp_path, name='g', search=None, epochs=25, stage=1, next_stage=True):
    search = search or dict(lr=[8e-5, 1.6e-4, 3.2e-4], weight_decay=[0.05, 0.1, 0.2], drop_path=[0.0])
    lines = ["name = 'toy'", f"config = '{GRIDS.parent / 'mae' / 'mask-rcnn_vit-b-mae_fpn_lsj-100e_coco.py'}'",
             f'stage = {stage}', f'epochs = {epochs}', f'search = {search!r}',
             "steps = dict(lr=('mul', 2.0), weight_decay=('mul', 2.0), drop_path=('add', 0.1))"]
    if next_stage:
        lines.append("next_stage = dict(stage=2, epochs=50, search=dict(drop_path=[0.0, 0.1, 0.2, 0.3]))")
    path = tmp_path / f'{name}.py'
    path.write_text('\n'.join(lines) + '\n')
    return path


def finish_all(grid_path, root, score):
    """Mark every run of the grid done, with bbox mAP = score(run values)."""
    grid = load_grid(str(grid_path))
    for run in grid.runs():
        fake_run(root / grid.name / run.name, run.epochs, [(run.epochs, score(run.values))])


def test_next_stage_after_interior_best(tmp_path):
    grid = tmp_grid(tmp_path)
    root = tmp_path / 'sweeps'
    finish_all(grid, root, lambda v: 0.5 - abs(v['lr'] - 1.6e-4) * 100 - abs(v['weight_decay'] - 0.1))
    rc, out = sweep_main(grid, '--next-stage', '--work-root', root)
    assert rc == 0 and 'best: toy_lr1.6e-04_wd0.1_dp0.0_25e' in out
    nxt = load_grid(str(root / 'toy' / 'toy_stage2_next.py'))
    assert [r.name for r in nxt.runs()] == [f'toy_lr1.6e-04_wd0.1_dp{dp}_50e' for dp in ('0.0', '0.1', '0.2', '0.3')]
    assert nxt.stage == 2 and nxt.next_stage is None


def test_next_stage_extends_an_edge(tmp_path):
    grid = tmp_grid(tmp_path)
    root = tmp_path / 'sweeps'
    finish_all(grid, root, lambda v: v['lr'] * 1000 - abs(v['weight_decay'] - 0.1))  # best: highest lr, wd 0.1
    rc, out = sweep_main(grid, '--next-stage', '--work-root', root)
    assert rc == 0 and 'lr=0.00032 (high edge)' in out
    ext = load_grid(str(root / 'toy' / 'toy_stage1_recentred.py'))
    assert ext.search['lr'] == [1.6e-4, 3.2e-4, 6.4e-4] and ext.search['weight_decay'] == [0.05, 0.1, 0.2]
    assert ext.stage == 1 and ext.next_stage['epochs'] == 50
    # the six runs shared with the first grid are done already
    rc, out = sweep_main(ext.path, '--dry-run', '--work-root', root)
    assert 'dry run: 3 to run, 6 done' in out
    assert [n for n in listed_runs(out) if '6.4e-04' in n] == [
        f'toy_lr6.4e-04_wd{wd}_dp0.0_25e' for wd in ('0.05', '0.1', '0.2')]


def test_drop_path_edges(tmp_path):
    root = tmp_path / 'sweeps'
    stage2 = dict(lr=[8e-5], weight_decay=[0.1], drop_path=[0.0, 0.1, 0.2, 0.3])
    high = tmp_grid(tmp_path, 'high', stage2, epochs=50, stage=2, next_stage=False)
    finish_all(high, root, lambda v: v['drop_path'])
    rc, out = sweep_main(high, '--next-stage', '--work-root', root)
    assert load_grid(str(root / 'toy' / 'toy_stage2_recentred.py')).search['drop_path'] == [0.2, 0.3, 0.4]
    # best at dp 0, the lower bound: nothing to extend and no next stage
    low = tmp_grid(tmp_path, 'low', dict(stage2, drop_path=[0.0, 0.1]), epochs=7, stage=2, next_stage=False)
    finish_all(low, tmp_path / 'low_root', lambda v: -v['drop_path'])
    rc, out = sweep_main(low, '--next-stage', '--work-root', tmp_path / 'low_root')
    assert rc == 0 and 'no next_stage' in out and 'wrote' not in out


def test_next_stage_needs_finished_runs(tmp_path):
    grid = tmp_grid(tmp_path)
    root = tmp_path / 'sweeps'
    fake_run(root / 'toy' / 'toy_lr8e-05_wd0.1_dp0.0_25e', 25, [(25, 0.3)])
    with pytest.raises(SystemExit, match='8 of 9 runs .* are not done'):
        sweep_main(grid, '--next-stage', '--work-root', root)
    rc, out = sweep_main(grid, '--next-stage', '--allow-partial', '--work-root', root)
    assert rc == 0 and 'best: toy_lr8e-05_wd0.1_dp0.0_25e' in out


def test_dry_run_shows_states_and_resume(tmp_path):
    grid = tmp_grid(tmp_path, search=dict(lr=[8e-5, 1.6e-4], weight_decay=[0.1], drop_path=[0.0]))
    root = tmp_path / 'sweeps'
    fake_run(root / 'toy' / 'toy_lr8e-05_wd0.1_dp0.0_25e', 25, [(25, 0.3)])
    fake_run(root / 'toy' / 'toy_lr1.6e-04_wd0.1_dp0.0_25e', 3, [])
    rc, out = sweep_main(grid, '--dry-run', '--work-root', root, '--cfg-options', 'a.b=1')
    assert 'toy_lr8e-05_wd0.1_dp0.0_25e' in out and ' done  best coco/bbox_mAP=0.3000' in out
    commands = [line for line in out.splitlines() if 'train.py' in line]
    assert len(commands) == 1 and 'toy_lr1.6e-04' in commands[0]
    assert commands[0].endswith('--resume --cfg-options a.b=1')


def test_emit_dist_and_slurm(tmp_path):
    grid = tmp_grid(tmp_path, search=dict(lr=[8e-5, 1.6e-4], weight_decay=[0.1], drop_path=[0.0]))
    root = tmp_path / 'sweeps'
    rc, out = sweep_main(grid, '--emit', 'dist', '--gpus', '8', '--work-root', root)
    lines = [line for line in out.splitlines() if 'dist_train.sh' in line]
    assert len(lines) == 2 and all(' 8 --work-dir ' in line and line.endswith('--resume') for line in lines)
    assert sorted(p.name for p in (root / 'toy' / 'configs').iterdir()) == [
        'toy_lr1.6e-04_wd0.1_dp0.0_25e.py', 'toy_lr8e-05_wd0.1_dp0.0_25e.py']
    rc, out = sweep_main(grid, '--emit', 'slurm', '--partition', 'gpu', '--gpus', '32', '--work-root', root)
    script = root / 'toy' / 'slurm_g.sh'
    assert f'sbatch --array=0-1 {script}' in out
    text = script.read_text()
    assert '#SBATCH --nodes=4' in text and '#SBATCH --gres=gpu:8' in text and '--launcher slurm --resume' in text
    assert subprocess.run(['bash', '-n', str(script)]).returncode == 0
    # the array resolves task i to run i
    probe = text.split('PY=')[0] + 'echo "$CONFIG|$WORK_DIR"\n'
    res = subprocess.run(['bash', '-c', probe], env=dict(os.environ, SLURM_ARRAY_TASK_ID='1'),
                         capture_output=True, text=True)
    cfg, wd = res.stdout.strip().split('|')
    assert cfg.endswith('configs/toy_lr1.6e-04_wd0.1_dp0.0_25e.py') and wd.endswith('toy/toy_lr1.6e-04_wd0.1_dp0.0_25e')
    # SIGUSR1 ahead of the time limit; a trainer that saved and exited 75 requeues its array task
    assert '#SBATCH --signal=USR1@180' in text
    fake = tmp_path / 'bin'
    fake.mkdir()
    (fake / 'srun').write_text('#!/bin/sh\nexit 75\n')
    (fake / 'scontrol').write_text(f'#!/bin/sh\necho "$@" > {tmp_path}/scontrol.args\n')
    for tool in ('srun', 'scontrol'):
        (fake / tool).chmod(0o755)
    env = dict(os.environ, PATH=f'{fake}:{os.environ["PATH"]}', SLURM_ARRAY_TASK_ID='0', SLURM_ARRAY_JOB_ID='77')
    assert subprocess.run(['bash', str(script)], env=env, capture_output=True).returncode == 75
    assert (tmp_path / 'scontrol.args').read_text().split() == ['requeue', '77_0']


@pytest.mark.parametrize('line,match', [
    ("search = dict(lr=[1e-4], weight_decay=[0.1], drop_path=[0.0], momentum=[0.9])", 'unknown axes'),
    ("search = dict(lr=[1e-4], weight_decay=[0.1])", r"lacks \['drop_path'\]"),
    ("search = dict(lr=[], weight_decay=[0.1], drop_path=[0.0])", 'search.lr must be a non-empty list'),
    ("epochs = 2.5", 'epochs must be a whole number'),
    ("config = 'missing.py'", "config='missing.py'.*does not exist"),
])
def test_grid_errors_name_the_key(tmp_path, line, match):
    path = tmp_grid(tmp_path)
    path.write_text(path.read_text() + line + '\n')
    with pytest.raises(GridError, match=match) as err:
        load_grid(str(path))
    assert str(path) in str(err.value)


SHAPES_OPTIONS = [
    'train_dataloader.dataset.data_root={root}/', 'val_dataloader.dataset.data_root={root}/',
    'test_dataloader.dataset.data_root={root}/',
    *[f'{split}_dataloader.dataset.generate.{k}={v}' for split in ('train', 'val', 'test')
      for k, v in (('num_train', 4), ('num_val', 2))],
    'val_evaluator.ann_file={root}/annotations/instances_val.json',
    'test_evaluator.ann_file={root}/annotations/instances_val.json',
    'train_dataloader.batch_size=2', 'train_dataloader.num_workers=0', 'train_dataloader.persistent_workers=False',
    'val_dataloader.num_workers=0', 'val_dataloader.persistent_workers=False',
]


@pytest.mark.slow  # two short quickstart trainings (~30 s each on 2 cores)
def test_local_sweep_resumes_and_skips(tmp_path):
    """A one-run grid on the quickstart: interrupted after epoch 1 of 2, resumed, then skipped as done."""
    grid = tmp_path / 'quick.py'
    quickstart = REPO / 'configs' / 'quickstart' / 'mask-rcnn_vit-t-random_fpn_lsj-10e_shapes.py'
    grid.write_text(f"name = 'quick'\nconfig = '{quickstart}'\nstage = 1\nepochs = 2\n"
                    "search = dict(lr=[4e-4], weight_decay=[0.1], drop_path=[0.0])\n")
    root = tmp_path / 'sweeps'
    options = [o.format(root=tmp_path / 'shapes') for o in SHAPES_OPTIONS]
    # "interruption": the first attempt stops after epoch 1
    rc, out = sweep_main(grid, '--work-root', root, '--cfg-options', *options, 'train_cfg.max_epochs=1')
    run_dir = root / 'quick' / 'quick_lr4e-04_wd0.1_dp0.0_2e'
    assert rc == 1 and '1 of 1 runs did not reach' in out and run_state(str(run_dir), 2).status == 'partial'
    rc, out = sweep_main(grid, '--work-root', root, '--cfg-options', *options)
    assert rc == 0 and '== quick_lr4e-04_wd0.1_dp0.0_2e (partial)' in out
    logs = sorted(run_dir.glob('*/*.log'))
    assert len(logs) == 2 and f'Auto resumed from the latest checkpoint {run_dir}/epoch_1.pth' in logs[1].read_text()
    state = run_state(str(run_dir), 2)
    assert state.status == 'done' and [e for e, _ in state.evals] == [1, 2]
    rc, out = sweep_main(grid, '--work-root', root, '--cfg-options', *options)
    assert rc == 0 and '==' not in out and 'all 1 runs' in out
