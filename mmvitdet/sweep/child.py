"""A sweep's training child that never outlives the sweep.

The child runs in its own process group (a Ctrl-C in the terminal reaches the sweep, which ends the whole
group) and asks the kernel (Linux ``PR_SET_PDEATHSIG``) for SIGTERM when the sweep dies, even by SIGKILL, so a
rerun never trains beside an orphan. SIGTERM / SIGUSR1 / SIGINT to the sweep are forwarded to the child's group
(a trainer saves its iteration in flight and exits with 75), SIGKILL after ``grace`` seconds; the sweep exits as
soon as the child has.
"""
import ctypes
import os
import signal
import subprocess
import sys
import time
from typing import Dict, List

PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:  # runs in the child between fork and exec
    if sys.platform.startswith('linux'):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)


def _signal_group(proc: subprocess.Popen, sig: int) -> bool:
    try:
        os.killpg(proc.pid, sig)
        return True
    except ProcessLookupError:
        return False


FORWARDED = {signal.SIGTERM: signal.SIGTERM, signal.SIGUSR1: signal.SIGUSR1, signal.SIGINT: signal.SIGTERM}


def run_child(cmd: List[str], cwd: str, env: Dict[str, str], grace: float = 30.0) -> int:
    """Run ``cmd`` to its end and return its status. SIGTERM / SIGUSR1 / SIGINT to this process are forwarded to the
    child's group (SIGINT as SIGTERM), so a trainer saves its iteration in flight; when the child has exited, this
    process exits with 128 + signal. A child still running ``grace`` seconds after the signal gets SIGKILL."""
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, start_new_session=True, preexec_fn=_die_with_parent)
    received: List[int] = []
    deadline = [float('inf')]

    def forward(signum, frame):  # only signals and records: the main loop below does the waiting
        if not received:
            received.append(signum)
            deadline[0] = time.monotonic() + grace
        _signal_group(proc, FORWARDED[signum])

    previous = {sig: signal.signal(sig, forward) for sig in FORWARDED}
    try:
        while True:
            try:
                status = proc.wait(timeout=0.5)
                break
            except subprocess.TimeoutExpired:
                if time.monotonic() > deadline[0]:
                    _signal_group(proc, signal.SIGKILL)
                    deadline[0] = float('inf')
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if received:
        signum = received[0]
        saved = ' after saving its iteration in flight' if status == 75 else ''
        print(f'sweep: {signal.Signals(signum).name}: forwarded to the running child (PID {proc.pid}), which '
              f'exited with status {status}{saved}; rerun the sweep to resume', file=sys.stderr, flush=True)
        sys.exit(128 + signum)
    return status
