"""One run per work dir: a second tools/train.py on a held work dir stops with one line naming the holder, the
first is untouched; a lock left by a dead process is taken over and said so; only rank 0 locks."""
import os
import socket
import subprocess
import sys
import time

import pytest

from mmvitdet.engine.work_dir_lock import LOCK_NAME, WorkDirInUse, hold_work_dir, release_work_dir

from test_divergence_guard import CONFIG, REPO, tiny_options


def test_a_second_trainer_on_a_held_work_dir_is_refused(tmp_path):
    work_dir = tmp_path / 'run'
    options = [o.replace('max_epochs=2', 'max_epochs=4').replace('val_interval=2', 'val_interval=4')
               for o in tiny_options(tmp_path / 'shapes', 1e-4)]
    cmd = [sys.executable, str(REPO / 'tools/train.py'), str(CONFIG), '--work-dir', str(work_dir),
           '--cfg-options', *options]
    first = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        lock = work_dir / LOCK_NAME
        deadline = time.monotonic() + 300
        while not (lock.is_file() and f'PID {first.pid}' in lock.read_text()):
            assert first.poll() is None and time.monotonic() < deadline, 'the first run never took the lock'
            time.sleep(0.2)
        second = subprocess.run(cmd[:-len(options)] + [o.replace('lr=0.0001', 'lr=0.0005') for o in options],
                                capture_output=True, text=True, cwd=REPO, timeout=300)
        out, err = first.communicate(timeout=600)
    finally:
        if first.poll() is None:
            first.kill()
    assert second.returncode == 2, second.stderr[-2000:]
    errors = [line for line in second.stderr.splitlines() if line.startswith('error:')]
    assert len(errors) == 1 and f'PID {first.pid} on {socket.gethostname()}' in errors[0]
    assert 'in use by' in errors[0] and 'another --work-dir' in errors[0]
    assert first.returncode == 0, err[-3000:]
    assert (work_dir / 'epoch_4.pth').is_file()
    dumped = next(work_dir.glob('*.py')).read_text()
    assert 'lr=0.0001' in dumped and 'lr=0.0005' not in dumped  # the first run's config copy is untouched


def test_a_dead_holders_lock_is_taken_over(tmp_path):
    dead = subprocess.Popen([sys.executable, '-c', 'pass'])
    dead.wait()
    (tmp_path / LOCK_NAME).write_text(f'PID {dead.pid} on {socket.gethostname()}, tools/train.py, started earlier')
    said = []
    assert hold_work_dir(str(tmp_path), 'tools/train.py', log=said.append) == str(tmp_path / LOCK_NAME)
    assert len(said) == 1 and f'from PID {dead.pid}' in said[0] and 'no longer running' in said[0]
    assert f'PID {os.getpid()}' in (tmp_path / LOCK_NAME).read_text()
    release_work_dir(str(tmp_path))


def test_only_rank_0_locks_and_a_held_lock_names_its_holder(tmp_path, monkeypatch):
    holder = subprocess.Popen([sys.executable, '-c', (
        'import sys, time; sys.path.insert(0, sys.argv[1]); '
        'from mmvitdet.engine.work_dir_lock import hold_work_dir; '
        'hold_work_dir(sys.argv[2], "tools/test.py", log=lambda m: None); print("held", flush=True); '
        'time.sleep(60)'), str(REPO), str(tmp_path)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == 'held'
        with pytest.raises(WorkDirInUse, match=f'in use by PID {holder.pid} .*tools/test.py'):
            hold_work_dir(str(tmp_path), 'tools/train.py')
        monkeypatch.setenv('RANK', '1')
        assert hold_work_dir(str(tmp_path), 'tools/train.py') is None  # other ranks leave it to rank 0
    finally:
        holder.kill()
        holder.wait()
