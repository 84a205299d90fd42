"""Preemption: SIGTERM in the middle of an epoch (to the trainer's whole process group, data workers included, as
Slurm sends it) saves the iteration in flight and exits 75; ``--resume`` continues with the next iteration. A sweep
forwards the signal and exits as soon as its child has. Timed checkpoints keep only the newest."""
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from mmengine.hooks import Hook
from mmengine.runner import Runner

from cli_options import parsed, shapes_data_options
from mmvitdet.engine.checkpoint_digest import verify_checkpoint
from mmvitdet.engine.launch_config import load_launch_config
from mmvitdet.engine.preemption import EXIT_PREEMPTED, add_preemption_hook

REPO = Path(__file__).resolve().parents[1]
CONFIG = REPO / 'configs/quickstart/mask-rcnn_vit-t-random_fpn_lsj-10e_shapes.py'
ITERS_PER_EPOCH = 8  # 16 images, batch 2


def options(data_root: Path, epochs: int = 2):
    opts = [f'train_cfg.max_epochs={epochs}', f'train_cfg.val_interval={epochs}', 'default_hooks.checkpoint.interval=1',
            'default_hooks.logger.interval=1', 'train_dataloader.batch_size=2', 'train_dataloader.num_workers=1',
            'val_dataloader.num_workers=0', 'val_dataloader.persistent_workers=False']
    return opts + shapes_data_options(data_root, num_train=16, num_val=2, in_process_loading=False)


def start_training(work_dir: Path, data_root: Path, log: Path, *extra: str) -> subprocess.Popen:
    env = dict(os.environ, PYTHONUNBUFFERED='1')
    return subprocess.Popen([sys.executable, str(REPO / 'tools/train.py'), str(CONFIG), '--work-dir', str(work_dir),
                             *extra, '--cfg-options', *options(data_root)], cwd=REPO, env=env,
                            stdout=log.open('w'), stderr=subprocess.STDOUT, start_new_session=True)


def wait_for(pattern: str, log: Path, proc: subprocess.Popen, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while not re.search(pattern, log.read_text()):
        assert proc.poll() is None, f'exited {proc.returncode} before {pattern!r}:\n{log.read_text()[-3000:]}'
        assert time.monotonic() < deadline, f'no {pattern!r} in {timeout} s'
        time.sleep(0.1)


def trained_iterations(log: Path):
    return [(int(e), int(i)) for e, i in re.findall(r'Epoch\(train\)\s+\[(\d+)\]\[\s*(\d+)/\d+\]', log.read_text())]


def test_sigterm_mid_epoch_saves_the_iteration_in_flight_and_resume_continues(tmp_path):
    work_dir, data_root = tmp_path / 'run', tmp_path / 'shapes'
    first = tmp_path / 'first.log'
    proc = start_training(work_dir, data_root, first)
    wait_for(r'Epoch\(train\)\s+\[1\]\[\s*2/8\]', first, proc)
    os.killpg(proc.pid, signal.SIGTERM)  # the trainer and its data worker, as Slurm does
    assert proc.wait(timeout=120) == EXIT_PREEMPTED, first.read_text()[-3000:]

    text = first.read_text()
    saved = re.findall(r'preempted \(SIGTERM\): saved iteration (\d+) \(epoch 1\) to (\S+);', text)
    assert len(saved) == 1, text[-3000:]
    done, path = int(saved[0][0]), saved[0][1]
    assert trained_iterations(first)[-1] == (1, done)  # the iteration in flight finished and was logged
    assert 2 <= done <= ITERS_PER_EPOCH and Path(path) == work_dir / f'iter_{done}.pth'
    assert verify_checkpoint(path) is None and (work_dir / 'last_checkpoint').read_text() == path
    meta = torch.load(path, map_location='cpu')['meta']
    assert (meta['epoch'], meta['iter']) == (0, done)
    assert 'Traceback' not in text and 'killed by signal' not in text  # the data worker survived the signal

    second = tmp_path / 'second.log'
    proc = start_training(work_dir, data_root, second, '--resume')
    assert proc.wait(timeout=600) == 0, second.read_text()[-3000:]
    iterations = trained_iterations(second)
    # lost work: nothing; the first iteration trained after the resume is the one after the last finished one
    expected = [(1, i) for i in range(done + 1, ITERS_PER_EPOCH + 1)] + [(2, i) for i in range(1, 9)]
    assert iterations == expected
    final = torch.load(work_dir / 'epoch_2.pth', map_location='cpu')
    assert final['meta']['iter'] == 2 * ITERS_PER_EPOCH
    assert {int(s['step']) for s in final['optimizer']['state'].values()} == {2 * ITERS_PER_EPOCH}
    assert not list(work_dir.glob('iter_*.pth'))  # superseded by epoch_1.pth, removed
    history = json.loads((work_dir / 'config_history.json').read_text())
    assert [h['from_iteration'] for h in history] == [1, done + 1]


CHILD = '''
import signal, sys, time
signal.signal(signal.SIGTERM, lambda *a: (open(sys.argv[1], 'w').write('saved'), sys.exit(75)))
open(sys.argv[1] + '.ready', 'w').close()
time.sleep(60)
'''


def test_run_child_forwards_sigterm_and_returns_at_once(tmp_path):
    """tools/sweep.py's child runner in a process of its own: SIGTERM reaches the child's group (which saves and
    exits 75), and the runner exits 128 + 15 within a second of its child."""
    script = tmp_path / 'child.py'
    script.write_text(CHILD)
    runner = tmp_path / 'runner.py'
    runner.write_text('import sys\nfrom mmvitdet.sweep.child import run_child\n'
                      f'run_child([sys.executable, {str(script)!r}, {str(tmp_path / "saved")!r}], cwd=".", '
                      'env=None)\n')
    proc = subprocess.Popen([sys.executable, str(runner)], cwd=REPO, stderr=subprocess.PIPE, text=True,
                            env=dict(os.environ, PYTHONPATH=str(REPO)))
    deadline = time.monotonic() + 120
    while not (tmp_path / 'saved.ready').exists():
        assert proc.poll() is None and time.monotonic() < deadline, proc.stderr.read()
        time.sleep(0.05)
    start = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=30) == 128 + signal.SIGTERM
    assert time.monotonic() - start < 5 and (tmp_path / 'saved').read_text() == 'saved'
    assert 'exited with status 75 after saving its iteration in flight' in proc.stderr.read()


@pytest.mark.slow
def test_a_sweep_forwards_sigterm_and_exits_when_its_child_has(tmp_path):
    grid = tmp_path / 'grid.py'
    grid.write_text(f"name = 'long'\nconfig = '{CONFIG}'\nstage = 1\nepochs = 50\n"
                    "search = dict(lr=[1e-4], weight_decay=[0.1], drop_path=[0.0])\n")
    opts = [o for o in options(tmp_path / 'shapes') if not o.startswith('train_cfg')]
    log = tmp_path / 'sweep.log'
    sweep = subprocess.Popen([sys.executable, str(REPO / 'tools/sweep.py'), str(grid), '--work-root',
                              str(tmp_path / 'runs'), '--cfg-options', *opts], cwd=REPO,
                             env=dict(os.environ, PYTHONUNBUFFERED='1'), stdout=log.open('w'), stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 300

    def child_trained_two_iterations():  # the child's own log, in its run's work dir
        return any(re.search(r'Epoch\(train\)\s+\[1\]\[\s*2/8\]', p.read_text())
                   for p in (tmp_path / 'runs').rglob('2*.log'))
    while not child_trained_two_iterations():
        assert sweep.poll() is None and time.monotonic() < deadline, log.read_text()[-3000:]
        time.sleep(0.1)
    sweep.send_signal(signal.SIGTERM)
    assert sweep.wait(timeout=120) == 128 + signal.SIGTERM
    text = log.read_text()
    assert 'forwarded to the running child' in text and 'after saving its iteration in flight' in text, text[-2000:]
    assert len(list((tmp_path / 'runs').rglob('iter_*.pth'))) == 1


class ListIterCheckpoints(Hook):
    """Records, after every iteration (after the preemption hook), which iter_*.pth files exist."""

    def __init__(self, work_dir: Path):
        self.work_dir, self.seen = work_dir, []

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None):
        self.seen.append(sorted(p.name for p in self.work_dir.glob('iter_*.pth')))


def test_timed_checkpoints_keep_the_newest(tmp_path, every_minutes=1e-9, expected=1):
    """A tiny interval saves after every iteration and keeps one; the epoch checkpoint then removes it."""
    opts = [o.replace('num_train=16', 'num_train=6') for o in options(tmp_path / 'shapes', epochs=1)
            if 'train_dataloader.num_workers' not in o]
    opts += ['train_dataloader.num_workers=0', 'train_dataloader.persistent_workers=False']
    work_dir = tmp_path / 'run'
    cfg = load_launch_config(str(CONFIG), parsed(opts), str(work_dir), 'none')
    cfg.preemption = dict(every_minutes=every_minutes)
    cfg.visualizer.name = f'visualizer_{id(cfg)}'
    add_preemption_hook(cfg)
    runner = Runner.from_cfg(cfg)
    watch = ListIterCheckpoints(work_dir)
    runner.register_hook(watch, priority='LOWEST')  # after the preemption hook (same priority, added later)
    runner.train()
    assert watch.seen == [[f'iter_{i}.pth'] * expected for i in range(1, 4)]
    assert not list(work_dir.glob('iter_*.pth')) and (work_dir / 'epoch_1.pth').is_file()
