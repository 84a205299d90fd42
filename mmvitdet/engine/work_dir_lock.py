"""One run per work dir: tools/train.py and tools/test.py hold ``<work_dir>/.mmvitdet.lock`` while they run.

Two runs in one work dir overwrite each other's checkpoints and logs silently (and the results table then mixes
one run's config with the other's AP). The lock is an advisory ``fcntl.flock``: the kernel releases it when the
holder ends, however it ends, so a lock file left by a killed run is taken over (and said so). Under torchrun /
Slurm only the global rank 0 takes it. The file records PID, host, tool and start time for the error.
"""
import datetime
import fcntl
import os
import os.path as osp
import socket
import sys
from typing import Callable, Optional

from ..errors import UserInputError

LOCK_NAME = '.mmvitdet.lock'
_held = {}  # work dir -> open descriptor, kept for the life of the process


class WorkDirInUse(UserInputError, RuntimeError):
    """Another live process holds the work dir."""


def _global_rank() -> int:
    for var in ('RANK', 'SLURM_PROCID', 'OMPI_COMM_WORLD_RANK', 'PMI_RANK'):
        if os.environ.get(var, '').isdigit():
            return int(os.environ[var])
    return 0


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def hold_work_dir(work_dir: str, tool: str, log: Callable[[str], None] = print) -> Optional[str]:
    """Take the lock of ``work_dir`` for this process (rank 0 only); returns the lock path, None on other ranks.

    Raises :class:`WorkDirInUse` naming the holder when a live process has it.
    """
    if _global_rank() != 0:
        return None
    work_dir = osp.abspath(work_dir)
    if work_dir in _held:
        return osp.join(work_dir, LOCK_NAME)
    os.makedirs(work_dir, exist_ok=True)
    path = osp.join(work_dir, LOCK_NAME)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    previous = os.pread(fd, 400, 0).decode(errors='replace').strip()
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise WorkDirInUse(
            f"work dir '{work_dir}' is in use by {previous or 'another process'}: two runs in one work dir "
            'overwrite each other\'s checkpoints and logs. Wait for it, stop it, or give another --work-dir') from None
    if previous:
        pid = next((int(w) for w in previous.replace(',', ' ').split()[1:2] if w.isdigit()), None)
        same_host = f'on {socket.gethostname()},' in previous
        state = 'no longer running' if pid and same_host and not _alive(pid) else 'ended (its lock was free)'
        log(f'work dir lock: took over {path} from {previous} ({state})')
    started = datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%d %H:%M:%S UTC')
    os.ftruncate(fd, 0)
    os.pwrite(fd, f'PID {os.getpid()} on {socket.gethostname()}, {tool}, started {started}'.encode(), 0)
    _held[work_dir] = fd
    return path


def release_work_dir(work_dir: str) -> None:
    fd = _held.pop(osp.abspath(work_dir), None)
    if fd is not None:
        os.close(fd)  # closing the descriptor releases the lock


def tool_name() -> str:
    return osp.relpath(osp.abspath(sys.argv[0])) if sys.argv and sys.argv[0] else 'python'
