"""A diverging run stops at once: the quickstart at lr 1e4 on a tiny shapes set (its loss goes 3 -> 1e8 -> nan
without the guard). Exit status 2 with one line, no checkpoint of the diverged state, a marker that the results
table and the sweep read; the guard can be turned off; max_loss; a sweep records it and goes on."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from mmengine.config import Config

from cli_options import parsed, shapes_data_options
from mmvitdet.analysis.runs import collect_run
from mmvitdet.engine.divergence_guard import DivergenceGuardHook, add_divergence_guard
from mmvitdet.sweep import run_state

REPO = Path(__file__).resolve().parents[1]
CONFIG = REPO / 'configs/quickstart/mask-rcnn_vit-t-random_fpn_lsj-10e_shapes.py'


def tiny_options(data_root: Path, lr: float):
    options = [f'optim_wrapper.optimizer.lr={lr}', 'train_cfg.max_epochs=2', 'train_cfg.val_interval=2',
               'param_scheduler.0.start_factor=1.0', 'param_scheduler.0.end=1',
               'default_hooks.checkpoint.interval=1', 'default_hooks.logger.interval=1']
    return options + shapes_data_options(data_root, num_train=8, num_val=4)


def train(work_dir: Path, data_root: Path, lr: float, *extra: str):
    return subprocess.run([sys.executable, str(REPO / 'tools/train.py'), str(CONFIG), '--work-dir', str(work_dir),
                           '--cfg-options', *tiny_options(data_root, lr), *extra],
                          capture_output=True, text=True, cwd=REPO, timeout=900, env=dict(os.environ))


def test_a_diverging_run_stops_with_one_line_and_no_checkpoint(tmp_path):
    work_dir = tmp_path / 'lr1e4'
    proc = train(work_dir, tmp_path / 'shapes', 1e4)
    assert proc.returncode == 2, proc.stdout[-2000:] + proc.stderr[-3000:]
    errors = [line for line in proc.stderr.splitlines() if line.startswith('error:')]
    assert len(errors) == 1 and 'Traceback' not in proc.stderr
    assert 'training diverged at iteration 2 (epoch 1): loss non-finite (loss nan' in errors[0]
    assert 'divergence_guard.enable=False' in errors[0]
    assert not list(work_dir.glob('*.pth'))  # an epoch is 2 iterations: it stops before the first checkpoint
    marker = json.loads((work_dir / 'diverged.json').read_text())
    assert marker['iter'] == 2 and marker['lr'] == pytest.approx(1e4, rel=1e-2)
    assert marker['loss_terms']['loss'] == 'nan'
    assert any(k.startswith('loss') for k in marker['loss_terms'])
    run = collect_run(str(work_dir))
    assert run.status == 'diverged' and 'stopped at iteration' in run.detail
    assert run_state(str(work_dir), 2).status == 'diverged'  # a sweep does not run it again


def test_the_guard_can_be_turned_off_and_max_loss_stops_a_finite_loss():
    cfg = Config(dict(custom_hooks=[]))
    assert add_divergence_guard(cfg) == dict(type='DivergenceGuardHook', max_loss=None)
    assert add_divergence_guard(cfg) is None and len(cfg.custom_hooks) == 1  # not twice
    assert add_divergence_guard(Config(dict(divergence_guard=dict(enable=False)))) is None
    hook = DivergenceGuardHook(max_loss=10.0)
    assert hook._bad_terms(dict(loss=3.0, loss_cls=1.0)) == {}
    assert hook._bad_terms(dict(loss=12.0, loss_cls=12.0)) == {'loss': 12.0}
    assert set(hook._bad_terms(dict(loss=float('nan'), loss_bbox=float('inf'), acc=float('nan')))) == {
        'loss', 'loss_bbox'}


@pytest.mark.slow  # a whole sweep / launch in subprocesses (about 40 s); run with -m slow
def test_a_sweep_records_the_diverged_point_and_goes_on(tmp_path):
    grid = tmp_path / 'grid.py'
    grid.write_text(f"""
name = 'tiny'
config = '{CONFIG}'
stage = 1
epochs = 1
search = dict(lr=[1e4, 1e-4], weight_decay=[0.1], drop_path=[0.0])
""")
    options = [o.replace('train_cfg.max_epochs=2', 'train_cfg.max_epochs=1').replace('val_interval=2',
                                                                                       'val_interval=1')
               for o in tiny_options(tmp_path / 'shapes', 1e-4) if not o.startswith('optim_wrapper')]
    proc = subprocess.run([sys.executable, str(REPO / 'tools/sweep.py'), str(grid), '--work-root',
                           str(tmp_path / 'runs'), '--cfg-options', *options],
                          capture_output=True, text=True, cwd=REPO, timeout=1200)
    out = proc.stdout + proc.stderr
    assert 'diverged (the divergence guard stopped it' in out, out[-4000:]
    states = {p.name: run_state(str(p), 1).status for p in (tmp_path / 'runs' / 'tiny').iterdir()
              if p.is_dir() and p.name != 'configs'}
    assert sorted(states.values()) == ['diverged', 'done'], states
    assert proc.returncode == 0, out[-3000:]


def test_a_killed_sweep_leaves_no_training_child(tmp_path):
    """kill -9 of tools/sweep.py: its training child (which holds the run's work dir lock) ends with it."""
    import signal
    import time
    grid = tmp_path / 'grid.py'
    grid.write_text(f"name = 'long'\nconfig = '{CONFIG}'\nstage = 1\nepochs = 50\n"
                    "search = dict(lr=[1e-4], weight_decay=[0.1], drop_path=[0.0])\n")
    options = [o for o in tiny_options(tmp_path / 'shapes', 1e-4) if not o.startswith(('optim_wrapper', 'train_cfg'))]
    sweep = subprocess.Popen([sys.executable, str(REPO / 'tools/sweep.py'), str(grid), '--work-root',
                              str(tmp_path / 'runs'), '--cfg-options', *options], cwd=REPO,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    lock = None
    deadline = time.monotonic() + 300
    while lock is None:
        assert sweep.poll() is None and time.monotonic() < deadline, 'the sweep never started its child'
        lock = next((p for p in (tmp_path / 'runs').rglob('.mmvitdet.lock') if p.read_text()), None)
        time.sleep(0.3)
    child = int(lock.read_text().split()[1])
    os.kill(sweep.pid, signal.SIGKILL)
    sweep.wait()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            os.kill(child, 0)
        except ProcessLookupError:
            break
        time.sleep(0.2)
    else:
        os.kill(child, signal.SIGKILL)
        pytest.fail(f'the training child {child} outlived the killed sweep by 60 s')


def test_a_non_finite_weight_is_never_saved(tmp_path):
    """The loss of the epoch's last step was finite but the step left a NaN weight (as lr 1e4 did, loss 1.8e15):
    the checkpoint of that state is refused, the marker names the tensor, no file is written."""
    import torch
    from mmengine.hooks import Hook
    from mmengine.runner import Runner
    from mmvitdet.engine.divergence_guard import TrainingDiverged
    from mmvitdet.engine.launch_config import load_launch_config

    class PoisonAfterLastStep(Hook):  # runs after the guard's loss check, before CheckpointHook's epoch save
        def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None):
            if batch_idx == len(runner.train_dataloader) - 1:
                with torch.no_grad():
                    runner.model.roi_head.bbox_head.fc_cls.weight[0, 0] = float('nan')

    opts = [o for o in tiny_options(tmp_path / 'shapes', 1e-4) if 'num_workers' not in o]
    cfg = load_launch_config(str(CONFIG), parsed(opts + ['train_cfg.max_epochs=1']), str(tmp_path / 'run'), 'none')
    cfg.visualizer.name = f'visualizer_{id(cfg)}'
    add_divergence_guard(cfg)
    runner = Runner.from_cfg(cfg)
    runner.register_hook(PoisonAfterLastStep(), priority='NORMAL')
    with pytest.raises(TrainingDiverged, match=r'1 non-finite tensor\(s\) in the state about to be saved '
                                               r'\(state_dict.roi_head.bbox_head.fc_cls.weight\)'):
        runner.train()
    assert not list((tmp_path / 'run').glob('*.pth'))
    marker = json.loads((tmp_path / 'run' / 'diverged.json').read_text())
    assert marker['non_finite_tensors'] == ['state_dict.roi_head.bbox_head.fc_cls.weight']
    assert collect_run(str(tmp_path / 'run')).status == 'diverged'


def test_non_finite_tensors_walks_model_and_optimizer_state():
    import torch
    from mmvitdet.engine.divergence_guard import non_finite_tensors
    state = {'state_dict': {'a': torch.ones(3), 'b': torch.tensor([1.0, float('inf')]), 'n': torch.tensor([7])},
             'optimizer': {'state': {0: {'exp_avg': torch.tensor([float('nan')]), 'step': torch.tensor(3.0)}},
                           'param_groups': [{'lr': 1e-4}]}}
    assert non_finite_tensors(state) == ['state_dict.b', 'optimizer.state.0.exp_avg']
