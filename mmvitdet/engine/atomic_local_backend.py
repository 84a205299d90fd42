"""Atomic writes for mmengine's local file backend, so an interrupted checkpoint save never leaves a half-written
file under the final name.

mmengine 0.10.7's ``save_checkpoint`` serializes the checkpoint to memory and hands the bytes to the file backend
of the path; its ``LocalBackend.put`` opens the final name with ``'wb'`` and writes, so a crash, a full disk or a
killed job mid-write leaves a truncated ``iter_N.pth`` that ``--resume`` then picks. Importing this module registers
:class:`AtomicLocalBackend` as mmengine's ``'local'`` backend: same behaviour, but ``put``/``put_text`` write a
temporary file in the same folder, flush it to disk and ``os.replace`` it onto the final name.
"""
import os
import os.path as osp
import uuid
from pathlib import Path
from typing import Union

import mmengine
from mmengine.fileio import register_backend
from mmengine.fileio.backends import LocalBackend


def atomic_write_bytes(data: bytes, filepath: Union[str, Path]) -> None:
    """Write ``data`` to ``filepath`` so that readers see either the old file or the complete new one."""
    filepath = str(filepath)
    folder = osp.dirname(filepath) or '.'
    mmengine.mkdir_or_exist(folder)
    tmp = osp.join(folder, f'.{osp.basename(filepath)}.{uuid.uuid4().hex[:8]}.tmp')
    try:
        with open(tmp, 'xb') as f:  # 'x': never clobber; permissions follow the umask like a plain open
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, filepath)
    except BaseException:
        if osp.exists(tmp):
            os.remove(tmp)
        raise


class AtomicLocalBackend(LocalBackend):
    """mmengine ``LocalBackend`` whose writes are atomic (temporary file + ``os.replace``); a ``.pth`` gets its
    sha256 sidecar first (:mod:`.checkpoint_digest`)."""

    def put(self, obj: bytes, filepath: Union[str, Path]) -> None:
        if str(filepath).endswith('.pth'):
            from .checkpoint_digest import SUFFIX, digest_line
            atomic_write_bytes(digest_line(obj, osp.basename(str(filepath))), str(filepath) + SUFFIX)
        atomic_write_bytes(obj, filepath)

    def put_text(self, obj: str, filepath: Union[str, Path], encoding: str = 'utf-8') -> None:
        atomic_write_bytes(obj.encode(encoding), filepath)


register_backend('local', AtomicLocalBackend, force=True, prefixes='')
