"""Measure each stage's cost per iteration, side by side (tools/mini_study.py --calibrate N).

Wall time per iteration means little on a shared machine (on an oversubscribed CPU,
OpenMP's waiting threads slow a run far beyond its share), so each stage trains twice in a
fresh single-threaded process, for 2 and for 2 + N iterations, and the difference of the
children's CPU time (user + sys) divided by N is its CPU seconds per iteration, free of the
start-up cost. The ratios to the detector's are what the plan needs: ``idle`` rescales them
to the detector's measured idle 2-core wall time (``plan.SECONDS_PER_ITER['detector']``).
"""
import os
import os.path as osp
import resource
import subprocess
import tempfile
from typing import Dict

from .commands import train_command
from .plan import PRETRAIN, SECONDS_PER_ITER, build_plan

SINGLE_THREAD = dict(OMP_NUM_THREADS='1', MKL_NUM_THREADS='1')


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _cpu_seconds(repo: str, argv, work_dir: str) -> float:
    argv = list(argv)
    argv[argv.index('--work-dir') + 1] = work_dir
    before = _children_cpu()
    subprocess.run(argv, cwd=repo, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, env=dict(os.environ, **SINGLE_THREAD))
    return _children_cpu() - before


def calibrate(repo: str, data_root: str, iters: int = 8, printer=print) -> Dict[str, Dict]:
    """{stage: {'cpu': CPU s/iter single-threaded, 'idle': idle 2-core wall s/iter estimate}}."""
    out = tempfile.mkdtemp(prefix='mini_study_calibrate_')
    result = {}
    for name in ['detector', *PRETRAIN]:
        cpu = []
        for n in (2, 2 + iters):
            # the detector: n iterations = one epoch of 4n images, no validation
            plan = build_plan(out, 60, 1, 4000, data_root, det_subset=4 * n)
            stage = next(s for s in plan.stages if s.name == (
                'finetune-random-seed0' if name == 'detector' else f'pretrain-{name}'))
            if name == 'detector':
                stage.spec['epochs'] = 1
                argv = train_command(repo, plan, stage) + ['train_cfg.val_begin=2']
            else:
                stage.spec['max_iters'] = n
                argv = train_command(repo, plan, stage)
            cpu.append(_cpu_seconds(repo, argv, osp.join(out, f'{name}_{n}')))
        result[name] = dict(cpu=(cpu[1] - cpu[0]) / iters)
        printer(f"[calibrate] {name}: {result[name]['cpu']:.3f} CPU s/iter (1 thread)",
                flush=True)
    scale = SECONDS_PER_ITER['detector'] / result['detector']['cpu']
    for values in result.values():
        values['idle'] = values['cpu'] * scale
    return result
