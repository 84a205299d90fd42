"""Measurement primitives shared by the cost benchmarks: time, peak memory, FLOPs, GEMM rate.

Timings are medians over repeated runs (these machines are noisy); peak memory on CPU is the
growth of the resident set of a fresh process, on CUDA the allocator's peak.
"""
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from contextlib import contextmanager
from typing import Any, Callable, Dict, List, Optional

import torch
from torch.utils.flop_counter import FlopCounterMode


def synchronize(device: torch.device) -> None:
    if device.type == 'cuda':
        torch.cuda.synchronize(device)


def time_calls(fn: Callable[[], None], device: torch.device, warmup: int,
               iters: int) -> List[float]:
    """Run ``fn`` ``warmup`` times untimed, then ``iters`` times; return seconds per call."""
    for _ in range(warmup):
        fn()
    synchronize(device)
    times = []
    for _ in range(iters):
        start = time.perf_counter()
        fn()
        synchronize(device)
        times.append(time.perf_counter() - start)
    return times


def current_rss_bytes() -> int:
    """Resident set size of this process now (Linux /proc)."""
    with open('/proc/self/statm') as f:
        return int(f.read().split()[1]) * os.sysconf('SC_PAGE_SIZE')


def max_rss_bytes() -> int:
    """Peak resident set size of this process so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


@contextmanager
def peak_memory(device: torch.device, result: Dict[str, float]):
    """Record the peak memory used inside the block, in bytes, as result['peak_bytes'].

    CUDA: allocator peak above the memory allocated on entry. CPU: growth of the process's
    peak RSS over the RSS on entry, so it is only meaningful in a process whose earlier
    peak was below the entry RSS (a fresh process per measured variant).
    """
    if device.type == 'cuda':
        torch.cuda.synchronize(device)
        torch.cuda.reset_peak_memory_stats(device)
        base = torch.cuda.memory_allocated(device)
        yield
        torch.cuda.synchronize(device)
        result['peak_bytes'] = torch.cuda.max_memory_allocated(device) - base
    else:
        base = current_rss_bytes()
        yield
        result['peak_bytes'] = max(max_rss_bytes() - base, 0)


def count_flops(fn: Callable[[], None]) -> int:
    """FLOPs (multiply-add = 2) of the matmuls and convs ``fn`` runs, forward and backward."""
    with FlopCounterMode(display=False) as counter:
        fn()
    return counter.get_total_flops()


def matmul_rate(device: torch.device, dtype: torch.dtype = torch.float32,
                size: int = 2048, iters: int = 10) -> float:
    """Measured dense GEMM throughput of the device, FLOP/s (median over ``iters``)."""
    a = torch.randn(size, size, device=device, dtype=dtype)
    b = torch.randn(size, size, device=device, dtype=dtype)
    times = time_calls(lambda: torch.mm(a, b), device, warmup=2, iters=iters)
    return 2 * size**3 / statistics.median(times)


def run_in_fresh_process(module: str, spec: Dict[str, Any], label: str,
                         env: Optional[Dict[str, str]] = None) -> Dict[str, Any]:
    """Run ``python -m module '<spec as json>'`` (in ``env``, default this one) and return the json its last
    stdout line prints.

    A fresh process per measurement keeps CPU peak memory (see :func:`peak_memory`) its own.
    """
    cmd = [sys.executable, '-m', module, json.dumps(spec)]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        raise RuntimeError(f'{label} failed (exit {proc.returncode}):\n{proc.stderr[-3000:]}')
    return json.loads(proc.stdout.strip().splitlines()[-1])
