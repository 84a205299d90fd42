"""Verified checkpoints: a sha256 sidecar per saved .pth; a changed byte is refused on explicit resume / load, and
auto-resume falls back to the previous checkpoint that verifies, naming what it skipped; leftovers are removed."""
import os

import pytest
import torch

from mmvitdet.engine import load_checkpoint_file
from mmvitdet.engine.atomic_local_backend import AtomicLocalBackend
from mmvitdet.engine.checkpoint_digest import (SUFFIX, newest_verified_checkpoint, remove_stale_temp_files,
                                               sha256_file)
from mmvitdet.engine.checkpoint_loading import CheckpointLoadError


def save(path, value):
    import io
    buffer = io.BytesIO()
    torch.save({'state_dict': {'w': torch.full((4096, ), float(value))}, 'meta': {'epoch': value}}, buffer)
    AtomicLocalBackend().put(buffer.getvalue(), str(path))  # what mmengine's save_checkpoint calls


def flip(path, at=None):
    data = bytearray(path.read_bytes())
    at = len(data) // 2 if at is None else at
    data[at:at + 64] = bytes(b ^ 0xFF for b in data[at:at + 64])  # 64 bytes inside the tensor record
    path.write_bytes(bytes(data))


def test_sidecar_is_written_and_checked(tmp_path):
    save(tmp_path / 'epoch_1.pth', 1)
    line = (tmp_path / ('epoch_1.pth' + SUFFIX)).read_text()
    assert line == f'{sha256_file(str(tmp_path / "epoch_1.pth"))}  epoch_1.pth\n'  # sha256sum -c format
    assert load_checkpoint_file(tmp_path / 'epoch_1.pth')['meta']['epoch'] == 1
    flip(tmp_path / 'epoch_1.pth')
    with pytest.raises(CheckpointLoadError, match=r'epoch_1.pth does not verify: its sha256 .* differs from .*'
                                                  r'epoch_1.pth.sha256.*resume from the previous one'):
        load_checkpoint_file(tmp_path / 'epoch_1.pth')
    assert (tmp_path / 'epoch_1.pth').is_file()  # kept
    release = tmp_path / 'release.pth'  # no sidecar: an official file loads as before
    torch.save({'w': torch.ones(1)}, release)
    assert load_checkpoint_file(release)['w'].item() == 1


def test_auto_resume_takes_the_newest_that_verifies(tmp_path):
    for epoch in (1, 2, 3):
        save(tmp_path / f'epoch_{epoch}.pth', epoch)
    (tmp_path / 'last_checkpoint').write_text('')
    flip(tmp_path / 'epoch_3.pth')
    (tmp_path / 'epoch_2.pth').write_bytes((tmp_path / 'epoch_2.pth').read_bytes()[:1000])  # truncated
    said = []
    assert newest_verified_checkpoint(str(tmp_path), log=said.append) == str(tmp_path / 'epoch_1.pth')
    assert any("last_checkpoint names ''" in s for s in said)
    assert 'skipped epoch_3.pth (its sha256' in said[-1] and 'epoch_2.pth (its sha256' in said[-1]
    assert 'nothing was deleted' in said[-1] and (tmp_path / 'epoch_3.pth').is_file()
    flip(tmp_path / 'epoch_1.pth')
    with pytest.raises(CheckpointLoadError, match='no checkpoint in .* verifies'):
        newest_verified_checkpoint(str(tmp_path), log=said.append)
    assert newest_verified_checkpoint(str(tmp_path / 'empty'), log=said.append) is None


def test_leftovers_are_removed(tmp_path):
    save(tmp_path / 'epoch_1.pth', 1)
    (tmp_path / '.epoch_2.pth.0123abcd.tmp').write_bytes(b'x' * 100)  # a write killed half-way
    (tmp_path / ('epoch_0.pth' + SUFFIX)).write_text('deadbeef  epoch_0.pth\n')  # its checkpoint was rotated out
    said = []
    removed = remove_stale_temp_files(str(tmp_path), log=said.append)
    assert sorted(os.path.basename(p) for p in removed) == ['.epoch_2.pth.0123abcd.tmp', 'epoch_0.pth.sha256']
    assert sorted(os.listdir(tmp_path)) == ['epoch_1.pth', 'epoch_1.pth.sha256'] and 'removed 2' in said[0]



def test_a_runs_own_truncated_checkpoint_without_sidecar_gets_resume_advice(tmp_path):
    save(tmp_path / 'epoch_4.pth', 4)
    (tmp_path / ('epoch_4.pth' + SUFFIX)).unlink()
    (tmp_path / 'epoch_4.pth').write_bytes((tmp_path / 'epoch_4.pth').read_bytes()[:500])
    with pytest.raises(CheckpointLoadError, match='resume from the previous checkpoint of the run') as e:
        load_checkpoint_file(tmp_path / 'epoch_4.pth')
    assert 're-download' not in str(e.value)


def test_auto_resume_skips_checkpoints_without_sidecar_that_are_incomplete(tmp_path):
    """Runs older than sidecars, copied files: a truncated or bit-flipped one is skipped like a digest mismatch, and
    the advice of its load error ('--resume without a file') then really avoids it."""
    for epoch in (1, 2, 3):
        save(tmp_path / f'epoch_{epoch}.pth', epoch)
        (tmp_path / f'epoch_{epoch}.pth{SUFFIX}').unlink()
    (tmp_path / 'epoch_3.pth').write_bytes((tmp_path / 'epoch_3.pth').read_bytes()[:-200])  # cut
    flip(tmp_path / 'epoch_2.pth')
    os.mkfifo(tmp_path / 'epoch_4.pth')  # a special file with a checkpoint's name: never opened
    said = []
    assert newest_verified_checkpoint(str(tmp_path), log=said.append) == str(tmp_path / 'epoch_1.pth')
    assert 'epoch_4.pth (it is not a regular file but a FIFO' in said[-1]
    assert 'epoch_3.pth (it has no sha256 sidecar and is not a complete torch zip file' in said[-1]
    assert 'epoch_2.pth (it has no sha256 sidecar and its member' in said[-1] and 'fails its CRC check' in said[-1]
