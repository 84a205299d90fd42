"""A sweep's training child that never outlives the sweep.

The child runs in its own process group (a Ctrl-C in the terminal reaches the sweep, which ends the whole
group) and asks the kernel (Linux ``PR_SET_PDEATHSIG``) for SIGTERM when the sweep dies, even by SIGKILL, so a
rerun never trains beside an orphan. SIGTERM / SIGINT to the sweep end the child's group: SIGTERM, then
SIGKILL after ``grace`` seconds.
"""
import ctypes
import os
import signal
import subprocess
import sys
from typing import Dict, List, Optional

PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:  # runs in the child between fork and exec
    if sys.platform.startswith('linux'):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)


def end_group(proc: subprocess.Popen, grace: float = 30.0) -> None:
    """SIGTERM the child's process group, SIGKILL what is left after ``grace`` seconds."""
    for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 10.0)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


def run_child(cmd: List[str], cwd: str, env: Dict[str, str], grace: float = 30.0) -> int:
    """Run ``cmd`` to its end; on SIGTERM / SIGINT of this process end its group and exit with 128 + signal."""
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, start_new_session=True, preexec_fn=_die_with_parent)
    previous: Dict[int, Optional[object]] = {}

    def stop(signum, frame):
        end_group(proc, grace)
        print(f'sweep: {signal.Signals(signum).name}: ended the running child (PID {proc.pid}) and its '
              'processes; rerun the sweep to resume', file=sys.stderr, flush=True)
        sys.exit(128 + signum)

    for sig in (signal.SIGTERM, signal.SIGINT):
        previous[sig] = signal.signal(sig, stop)
    try:
        return proc.wait()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
