"""Timed phases under one time budget; a phase that fails, runs out of memory or out of time is reported as such
and the next one runs. Standard library only (the orchestrating process never imports torch or mmdet).
"""
import json
import os
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from typing import Callable, Dict, List, Optional

STATUSES = ('ok', 'failed', 'oom', 'timeout', 'skipped')
OOM_MARKERS = ('CUDA out of memory', 'OutOfMemoryError', 'CUBLAS_STATUS_ALLOC_FAILED',
               'DefaultCPUAllocator: can\'t allocate memory')


@dataclass
class PhaseResult:
    """One phase: ``status`` one of STATUSES, wall ``seconds``, its figures in ``metrics``."""
    name: str
    title: str
    status: str = 'ok'
    seconds: float = 0.0
    metrics: Dict = field(default_factory=dict)
    note: str = ''
    error: str = ''

    def to_dict(self) -> Dict:
        return asdict(self)


class PhaseSkipped(Exception):
    """Raised by a phase that does not apply here; the message is the reason shown in the report."""


class PhaseFailed(Exception):
    """Raised with a classified status ('failed', 'oom', 'timeout') and the tail of what went wrong."""

    def __init__(self, status: str, message: str):
        super().__init__(message)
        self.status = status


def is_oom(text: str) -> bool:
    """Whether an error text is an out-of-memory error (CUDA allocator, cuBLAS workspace or CPU)."""
    return any(marker in text for marker in OOM_MARKERS)


def tail(text: str, limit: int = 2000) -> str:
    """The first line (what failed) and the last ``limit`` characters (why) of ``text``."""
    if len(text) <= limit:
        return text
    return text.split('\n', 1)[0][:300] + '\n...' + text[-limit:]


def run_command(cmd: List[str], timeout: float, env: Optional[Dict[str, str]] = None,
                cwd: Optional[str] = None) -> subprocess.CompletedProcess:
    """Run ``cmd``, output captured; raises PhaseFailed ('timeout', 'oom' or 'failed') unless it exits 0."""
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env, cwd=cwd)
    except subprocess.TimeoutExpired as e:
        out = (e.stdout or b'') + (e.stderr or b'') if isinstance(e.stdout, bytes) else \
            (e.stdout or '') + (e.stderr or '')
        out = out.decode('utf-8', 'replace') if isinstance(out, bytes) else out
        raise PhaseFailed('timeout', f'{cmd[0]} ... did not finish in {timeout:.0f} s\n{tail(out)}')
    if proc.returncode != 0:
        text = proc.stdout[-1000:] + proc.stderr
        raise PhaseFailed('oom' if is_oom(text) else 'failed',
                          f'exit {proc.returncode}: {" ".join(cmd[:6])} ...\n{tail(text)}')
    return proc


def run_child(spec: Dict, timeout: float, env: Optional[Dict[str, str]] = None) -> Dict:
    """Run one measurement in a fresh interpreter (``python -m mmvitdet.gpu_check.child SPEC``).

    The child prints one JSON line last: ``{"status": ..., "metrics": {...}, "note": ...}``.
    """
    cmd = [sys.executable, '-m', 'mmvitdet.gpu_check.child', json.dumps(spec)]
    proc = run_command(cmd, timeout, env=env)
    lines = proc.stdout.strip().splitlines()
    try:
        out = json.loads(lines[-1])
    except (IndexError, json.JSONDecodeError):
        raise PhaseFailed('failed', f'the child printed no result line:\n{tail(proc.stdout + proc.stderr)}')
    if out.get('status') in ('oom', 'failed'):
        raise PhaseFailed(out['status'], out.get('error', ''))
    return out


class PhaseRunner:
    """Runs phases in order within ``budget`` seconds, recording each; ``on_result`` sees every result
    (the report is rewritten after each phase, so a killed run still leaves what it measured)."""

    def __init__(self, budget: Optional[float], on_result: Callable[[List[PhaseResult]], None] = lambda results: None,
                 log: Callable[[str], None] = print, clock: Callable[[], float] = time.monotonic):
        self.deadline = None if budget is None else clock() + budget
        self.results: List[PhaseResult] = []
        self.on_result = on_result
        self.log = log
        self.clock = clock

    def remaining(self) -> float:
        return float('inf') if self.deadline is None else self.deadline - self.clock()

    def run(self, name: str, title: str, fn: Callable[[float], Dict], min_seconds: float = 0.0,
            max_seconds: float = 600.0) -> PhaseResult:
        """Run ``fn(timeout)``, which returns the phase's metrics (a ``note`` key becomes the note)."""
        result = PhaseResult(name, title)
        timeout = min(max_seconds, self.remaining())
        start = self.clock()
        if timeout < max(min_seconds, 1.0):
            result.status = 'skipped'
            result.note = f'out of time: {max(self.remaining(), 0):.0f} s of the budget left, needs {min_seconds:.0f}'
        else:
            self.log(f'[gpu_check] {name}: {title} (at most {timeout:.0f} s)')
            try:
                metrics = fn(timeout) or {}
                result.note = metrics.pop('note', '')
                result.metrics = metrics
            except PhaseSkipped as e:
                result.status, result.note = 'skipped', str(e)
            except PhaseFailed as e:
                result.status, result.error = e.status, tail(str(e))
            except Exception as e:  # a bug in a phase must not cost the phases after it
                result.status = 'oom' if is_oom(str(e)) else 'failed'
                result.error = tail(f'{type(e).__name__}: {e}')
        result.seconds = round(self.clock() - start, 2)
        self.results.append(result)
        self.log(f'[gpu_check] {name}: {result.status} in {result.seconds:.1f} s'
                 + (f' ({result.note})' if result.note else '')
                 + (f'\n{result.error}' if result.error and result.status != 'ok' else ''))
        self.on_result(self.results)
        return result


def child_env(python_path: Optional[str] = None, extra: Optional[Dict[str, str]] = None) -> Dict[str, str]:
    env = dict(os.environ)
    if python_path:
        env['PYTHONPATH'] = python_path
    env.setdefault('PYTHONUNBUFFERED', '1')
    if extra:
        env.update(extra)
    return env
