"""Safe (weights_only) checkpoint loading, resume of a real mmengine Runner run, and atomic checkpoint writes."""
import argparse
import functools
import http.server
import os
import threading
import warnings

import pytest
import torch
import torch.nn as nn
from mmengine.fileio import get_file_backend
from mmengine.model import BaseModel
from mmengine.runner import Runner
from mmengine.runner.checkpoint import _load_checkpoint
from torch.utils.data import Dataset

import mmvitdet  # noqa: F401  (registers the safe loader and the atomic backend)
from mmvitdet.engine import (AtomicLocalBackend, CheckpointLoadError, UnsafeCheckpointError,
                             allow_checkpoint_globals, load_checkpoint_file)
from mmvitdet.engine.checkpoint_loading import UNSAFE_FILE_DOCS, CodeRunningGlobalError
from mmvitdet.engine import atomic_local_backend


class _Pairs(Dataset):
    """8 fixed (x, sum(x)) pairs."""

    def __len__(self):
        return 8

    def __getitem__(self, i):
        x = torch.randn(4, generator=torch.Generator().manual_seed(i))
        return dict(inputs=x, target=x.sum().reshape(1))


class _TinyRegressor(BaseModel):
    """Linear + BatchNorm: parameters, buffers and optimizer state all have to survive a resume."""

    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(4, 1)
        self.bn = nn.BatchNorm1d(1)

    def forward(self, inputs, target, mode='tensor'):
        out = self.bn(self.lin(inputs))
        if mode == 'loss':
            return dict(loss=((out - target)**2).mean())
        return out


def _runner(work_dir, max_iters, resume=False):
    torch.manual_seed(0)  # the model is built before the Runner seeds anything
    return Runner(
        model=_TinyRegressor(),
        work_dir=str(work_dir),
        train_dataloader=dict(
            dataset=_Pairs(),
            sampler=dict(type='DefaultSampler', shuffle=True),
            batch_size=2,
            num_workers=0,
            collate_fn=dict(type='default_collate')),
        optim_wrapper=dict(optimizer=dict(type='AdamW', lr=0.01)),
        param_scheduler=[
            dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=2),
            dict(type='CosineAnnealingLR', by_epoch=False, begin=2, end=5)
        ],
        train_cfg=dict(by_epoch=False, max_iters=max_iters),
        default_hooks=dict(checkpoint=dict(type='CheckpointHook', interval=1, by_epoch=False)),
        resume=resume,
        randomness=dict(seed=0),
        default_scope='mmdet')  # the Runner makes its scope the process-wide default: keep mmdet's, as real configs


@pytest.fixture(scope='module')
def resumed_run(tmp_path_factory):
    """3 iterations + resume to 5, and an uninterrupted 5-iteration run for reference."""
    interrupted = tmp_path_factory.mktemp('interrupted')
    _runner(interrupted, 3).train()
    resumed = _runner(interrupted, 5, resume=True)
    resumed.train()
    straight = _runner(tmp_path_factory.mktemp('straight'), 5)
    straight.train()
    return interrupted, resumed, straight


def test_mmengine_checkpoint_loads_with_weights_only(resumed_run):
    work_dir = resumed_run[0]
    ckpt = load_checkpoint_file(work_dir / 'iter_3.pth')
    assert ckpt['meta']['iter'] == 3
    # the message hub (HistoryBuffer with numpy arrays and statistics methods) came back intact
    lr_buffer = ckpt['message_hub']['log_scalars']['train/lr']
    assert lr_buffer.statistics('current') == pytest.approx(lr_buffer.data[0][-1])
    # plain torch.load (weights_only=True by default since torch 2.6) accepts it too, with nothing more allowed
    assert torch.load(work_dir / 'iter_3.pth', map_location='cpu')['meta']['iter'] == 3


def test_resume_continues_from_saved_iteration(resumed_run):
    _, resumed, straight = resumed_run
    assert resumed.iter == 5
    # resumed at iteration 3 and ran 4 and 5: same weights, BN statistics and optimizer state as a straight run
    for (name, a), b in zip(resumed.model.state_dict().items(), straight.model.state_dict().values()):
        torch.testing.assert_close(a, b, msg=f'{name} differs after resume')
    assert resumed.optim_wrapper.get_lr()['lr'] == pytest.approx(straight.optim_wrapper.get_lr()['lr'])


def test_checkpoint_writes_leave_no_temporary_files(resumed_run):
    names = sorted(os.listdir(resumed_run[0]))
    assert [n for n in names if n.endswith('.pth')] == [f'iter_{i}.pth' for i in range(1, 6)]
    assert not [n for n in names if n.endswith('.tmp')]


class _RunsCode:
    """Unpickling this calls os.system: what weights_only loading exists to refuse."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f'touch {self.marker}', ))


def test_malicious_file_is_refused_through_mmengine_loader(tmp_path):
    marker = tmp_path / 'code_ran'
    path = tmp_path / 'evil.pth'
    torch.save({'state_dict': {}, 'payload': _RunsCode(marker)}, path)
    with pytest.raises(UnsafeCheckpointError) as info:
        _load_checkpoint(str(path), map_location='cpu')  # what Runner.load_checkpoint / resume use
    assert str(path) in str(info.value) and 'run or build arbitrary objects' in str(info.value)
    assert not marker.exists()


def test_no_error_advice_widens_the_allow_list(tmp_path):
    """An old-format pickle (pickle.dump of tensors: torch.storage._load_from_bytes), a payload and a plain class:
    no message names an unpickling callable or suggests allow-listing or full unpickling."""
    import pickle
    files = {'old.pkl': lambda f: pickle.dump({'w': torch.ones(2)}, f, protocol=2),
             'evil.pth': lambda f: torch.save({'payload': _RunsCode(tmp_path / 'ran')}, f),
             'note.pth': lambda f: torch.save({'note': _TrainingNote('x')}, f)}
    for name, write in files.items():
        with open(tmp_path / name, 'wb') as f:
            write(f)
        with pytest.raises(UnsafeCheckpointError) as info:
            load_checkpoint_file(tmp_path / name)
        message = str(info.value)
        for unsafe in ('_load_from_bytes', '_rebuild_', 'posix', 'system', 'allow_checkpoint_globals',
                       'MMVITDET_TRUSTED_CHECKPOINTS', 'add_safe_globals'):
            assert unsafe not in message, (name, message)
        # no command that unpickles the file: the advice is safe wherever it is pasted
        assert 'weights_only=False' not in message and 'torch.load' not in message and 'python -c' not in message
        assert 'safetensors' in message and 'isolated environment' in message and UNSAFE_FILE_DOCS in message
    assert not (tmp_path / 'ran').exists()


def test_allow_checkpoint_globals_refuses_code_running_callables(tmp_path):
    """After allowing torch.storage._load_from_bytes, a nested legacy payload would run: refused, nothing allowed."""
    before = torch.serialization.get_safe_globals()
    for entry in (torch.storage._load_from_bytes, os.system, (eval, 'builtins.eval'), torch._utils._rebuild_tensor):
        with pytest.raises(CodeRunningGlobalError, match='refused .*runs or builds arbitrary objects'):
            allow_checkpoint_globals(_TrainingNote, entry)
    assert torch.serialization.get_safe_globals() == before


class _TrainingNote:
    """A harmless class of a third-party training script, stored in its checkpoints."""

    def __init__(self, text):
        self.text = text


def test_non_allow_listed_type_names_type_and_fix(tmp_path, monkeypatch):
    path = tmp_path / 'note.pth'
    torch.save({'note': _TrainingNote('800 epochs')}, path)
    with pytest.raises(UnsafeCheckpointError) as info:
        load_checkpoint_file(path)
    message = str(info.value)
    assert str(path) in message and f'{__name__}._TrainingNote' in message and 'isolated environment' in message
    assert 'allow_checkpoint_globals' not in message and 'MMVITDET_TRUSTED_CHECKPOINTS' not in message

    monkeypatch.setenv('MMVITDET_TRUSTED_CHECKPOINTS', '1')
    with pytest.warns(UserWarning, match='runs any code'):
        assert load_checkpoint_file(path)['note'].text == '800 epochs'


def test_allow_checkpoint_globals_extends_the_list(tmp_path):
    path = tmp_path / 'note.pth'
    torch.save({'note': _TrainingNote('ok')}, path)
    before = torch.serialization.get_safe_globals()
    try:
        allow_checkpoint_globals(_TrainingNote)
        assert load_checkpoint_file(path)['note'].text == 'ok'
    finally:
        torch.serialization.clear_safe_globals()
        torch.serialization.add_safe_globals(before)
    with pytest.raises(UnsafeCheckpointError):  # and the list is back to what it was
        load_checkpoint_file(path)


def test_official_release_args_namespace_loads(tmp_path):
    path = tmp_path / 'release.pth'
    torch.save({'model': {'w': torch.ones(2)}, 'args': argparse.Namespace(epochs=1600, norm_pix_loss=True)}, path)
    loaded = load_checkpoint_file(path)
    assert loaded['args'].epochs == 1600 and torch.equal(loaded['model']['w'], torch.ones(2))


@pytest.mark.parametrize('kind, expected', [
    ('truncated', 'truncated or corrupt torch zip'),
    ('text', 'not a torch checkpoint'),
    ('empty', 'empty'),
])
def test_bad_files_name_the_file(tmp_path, kind, expected):
    good = tmp_path / 'good.pth'
    torch.save({'w': torch.arange(1000.)}, good)
    path = tmp_path / f'{kind}.pth'
    if kind == 'truncated':
        path.write_bytes(good.read_bytes()[:len(good.read_bytes()) // 2])
    elif kind == 'text':
        path.write_text('model: vit-b\n')
    else:
        path.write_bytes(b'')
    with pytest.raises(CheckpointLoadError) as info:
        load_checkpoint_file(path)
    assert str(path) in str(info.value) and expected in str(info.value)
    assert not isinstance(info.value, UnsafeCheckpointError)


def test_missing_file_names_the_file(tmp_path):
    with pytest.raises(FileNotFoundError, match='nope.pth'):
        load_checkpoint_file(tmp_path / 'nope.pth')


def test_local_backend_is_atomic(tmp_path, monkeypatch):
    target = tmp_path / 'sub' / 'iter_1.pth'
    backend = get_file_backend(str(target))
    assert isinstance(backend, AtomicLocalBackend)
    backend.put(b'old checkpoint', target)
    assert target.read_bytes() == b'old checkpoint'

    def disk_full(fd):
        raise OSError(28, 'No space left on device')

    monkeypatch.setattr(atomic_local_backend.os, 'fsync', disk_full)
    with pytest.raises(OSError, match='No space'):
        backend.put(b'new but interrupted', target)
    # the previous complete file is still there, and no half-written leftovers
    assert target.read_bytes() == b'old checkpoint'
    assert sorted(os.listdir(target.parent)) == ['iter_1.pth', 'iter_1.pth.sha256']
    from mmvitdet.engine.checkpoint_digest import check_digest
    assert check_digest(str(target)) is None  # the sidecar still describes the complete old file


def test_atomic_write_respects_umask(tmp_path):
    old = os.umask(0o022)
    try:
        target = tmp_path / 'ckpt.pth'
        with warnings.catch_warnings():
            warnings.simplefilter('error')
            get_file_backend(str(target)).put_text('hello', target)
        assert target.read_text() == 'hello'
        assert (target.stat().st_mode & 0o777) == 0o644
    finally:
        os.umask(old)


@pytest.fixture
def http_folder(tmp_path, monkeypatch):
    """A folder served over http on loopback; torch hub's download cache in tmp_path."""
    served = tmp_path / 'served'
    served.mkdir()
    monkeypatch.setenv('TORCH_HOME', str(tmp_path / 'torch_home'))
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(served))
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield served, f'http://127.0.0.1:{server.server_address[1]}'
    server.shutdown()
    server.server_close()


def test_http_checkpoints_load_safely(http_folder, resumed_run):
    served, url = http_folder
    (served / 'iter_3.pth').write_bytes((resumed_run[0] / 'iter_3.pth').read_bytes())
    marker = served / 'code_ran'
    torch.save({'payload': _RunsCode(marker)}, served / 'evil.pth')

    assert _load_checkpoint(f'{url}/iter_3.pth', map_location='cpu')['meta']['iter'] == 3
    with pytest.raises(UnsafeCheckpointError, match='run or build arbitrary objects'):
        _load_checkpoint(f'{url}/evil.pth', map_location='cpu')
    assert not marker.exists()
