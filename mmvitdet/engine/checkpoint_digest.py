"""Verified checkpoints: every ``.pth`` mmengine saves gets a sha256 sidecar, and loading checks it.

The sidecar ``<file>.sha256`` is written (atomically) just before the checkpoint itself, from the bytes already in
memory, so a kill between the two leaves a digest that does not match the old file: that file is then skipped, never
trusted. :func:`load_checkpoint_file` (every mmengine load: ``--resume FILE``, ``load_from``, tools/test.py) refuses
a file whose sidecar disagrees; files without one (official releases) load as before. ``--resume`` without a file
takes the newest checkpoint of the work dir that verifies (:func:`newest_verified_checkpoint`: its sidecar matches, or,
without one, the zip file is complete), names what it skipped and why, and deletes nothing. Leftover temporary files of interrupted writes are removed at the next start.
"""
import glob
import hashlib
import os
import os.path as osp
import re
import zipfile
from typing import Callable, List, Optional, Tuple

from ..utils.file_digest import sha256_file

SUFFIX = '.sha256'
CHECKPOINT = re.compile(r'^(epoch|iter)_(\d+)\.pth$')
TEMP = re.compile(r'^\..+\.[0-9a-f]{8}\.tmp$')  # the atomic writer's temporary names


def digest_line(data: bytes, name: str) -> bytes:
    """The sidecar's content, in ``sha256sum`` format (``sha256sum -c`` checks it)."""
    return f'{hashlib.sha256(data).hexdigest()}  {name}\n'.encode()


def check_digest(path: str) -> Optional[str]:
    """None if ``path`` matches its sidecar or has none; else what is wrong, for a message."""
    sidecar = path + SUFFIX
    if not osp.isfile(sidecar):
        return None
    with open(sidecar) as f:
        expected = f.read().split(' ', 1)[0].strip()
    actual = sha256_file(path)
    if actual != expected:
        return f'its sha256 {actual[:16]}... differs from {sidecar} ({expected[:16]}...): the file changed after it ' \
               'was written (a partial copy, a disk error, or a write interrupted between the two files)'
    return None


def check_zip_integrity(path: str) -> Optional[str]:
    """None if ``path`` is a complete torch zip file (every member's CRC checked, as costly as a sha256 pass);
    else what is wrong. For checkpoints without a sidecar (runs older than sidecars, copied files)."""
    try:
        with zipfile.ZipFile(path) as archive:
            bad = archive.testzip()
    except (zipfile.BadZipFile, OSError, EOFError) as e:
        return f'it has no sha256 sidecar and is not a complete torch zip file ({type(e).__name__}: {e})'
    if bad is not None:
        return f'it has no sha256 sidecar and its member {bad} fails its CRC check (a partial copy or a disk error)'
    return None


def verify_checkpoint(path: str) -> Optional[str]:
    """None if ``path`` can be trusted for a resume; else why not (for a message)."""
    if not osp.isfile(path):
        from .checkpoint_loading import special_file_kind
        return f'it is not a regular file but {special_file_kind(path) or "gone"}'
    if not osp.getsize(path):
        return 'it is empty'
    if osp.isfile(path + SUFFIX):
        return check_digest(path)
    return check_zip_integrity(path)


def _step(path: str) -> Tuple[int, str]:
    match = CHECKPOINT.match(osp.basename(path))
    return (int(match.group(2)), match.group(1)) if match else (-1, '')


def newest_verified_checkpoint(work_dir: str, log: Callable[[str], None] = print) -> Optional[str]:
    """The newest ``epoch_N.pth`` / ``iter_N.pth`` of ``work_dir`` that verifies; skipped ones are logged.

    Raises :class:`~mmvitdet.engine.checkpoint_loading.CheckpointLoadError` when checkpoints exist but none verifies
    (so a run never restarts from scratch over them silently).
    """
    from .checkpoint_loading import CheckpointLoadError
    pointer = osp.join(work_dir, 'last_checkpoint')
    if osp.isfile(pointer):
        with open(pointer) as f:
            named = f.read().strip()
        if not named or not osp.isfile(named):
            log(f'resume: {pointer} names {named!r}, which is not a file; taking the newest checkpoint that '
                'verifies instead')
    candidates = sorted((p for p in glob.glob(osp.join(work_dir, '*.pth')) if CHECKPOINT.match(osp.basename(p))),
                        key=_step, reverse=True)
    skipped: List[str] = []
    for path in candidates:
        problem = verify_checkpoint(path)
        if problem is None:
            if skipped:
                log(f'resume: skipped {"; ".join(skipped)}; resuming from {path} (nothing was deleted)')
            return path
        skipped.append(f'{osp.basename(path)} ({problem})')
    if skipped:
        raise CheckpointLoadError(f'--resume: no checkpoint in {work_dir} verifies: {"; ".join(skipped)}. Move them '
                                  'away to start over, or resume from a copy you trust with --resume FILE')
    return None


def remove_stale_temp_files(work_dir: str, log: Callable[[str], None] = print) -> List[str]:
    """Delete temporary files of interrupted atomic writes and digests of deleted checkpoints (call while holding
    the work dir's lock, so no writer is active)."""
    removed = [p for p in glob.glob(osp.join(work_dir, '.*.tmp')) if TEMP.match(osp.basename(p))]
    removed += [p for p in glob.glob(osp.join(work_dir, '*.pth' + SUFFIX)) if not osp.exists(p[:-len(SUFFIX)])]
    for path in removed:
        os.remove(path)
    if removed:
        log(f'work dir: removed {len(removed)} leftover file(s) of interrupted writes or deleted checkpoints: '
            f'{", ".join(osp.basename(p) for p in removed)}')
    return removed
