"""One mini study per ``--out`` at a time.

Two invocations on the same ``--out`` would train the same stage into one work dir, each
resuming from the other's checkpoints and overwriting its logs. The first holds an advisory
lock (``fcntl.flock``, released by the kernel when the process ends, even when killed) on
``<out>/.mini_study.lock``; a second stops with an error naming the first's PID.
"""
import contextlib
import datetime
import fcntl
import os
import os.path as osp
from typing import Iterator

from .runner import StudyError

LOCK_NAME = '.mini_study.lock'


@contextlib.contextmanager
def exclusive_out(out: str) -> Iterator[str]:
    """Hold ``<out>/.mini_study.lock`` for the block; StudyError if another process holds it."""
    os.makedirs(out, exist_ok=True)
    path = osp.join(out, LOCK_NAME)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 200, 0).decode(errors='replace').strip() or 'unknown PID'
            raise StudyError(
                f"--out '{out}' is in use by another tools/mini_study.py ({holder}): wait for it, "
                'stop it (it resumes later with the same command), or give another --out') from None
        started = datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%d %H:%M UTC')
        os.ftruncate(fd, 0)
        os.pwrite(fd, f'PID {os.getpid()}, started {started}'.encode(), 0)
        yield path
    finally:
        os.close(fd)  # closing the last descriptor releases the lock
