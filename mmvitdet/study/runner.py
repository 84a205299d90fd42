"""Run the plan's stages in order, skipping finished ones (resume after an interruption).

A finished stage leaves ``<out>/stages/<name>.json`` (written atomically) holding its spec
and wall time; a rerun with the same plan skips it, a rerun whose plan differs for that stage
stops with an error rather than mixing two studies. An unfinished training stage resumes from
its work dir's last checkpoint (tools/train.py --resume).
"""
import datetime
import json
import os
import os.path as osp
import subprocess
import tempfile
import time
from collections import deque
from typing import Callable, Dict, Optional

from mmengine.config import Config

from ..datasets.shapes import ensure_shapes_dataset
from ..datasets.shapes_unlabeled import ensure_unlabeled_shapes
from .commands import train_command
from .plan import QUICKSTART, Stage, StudyPlan
from .progress import StudyProgress


class StudyError(RuntimeError):
    """A stage failed, or ``--out`` holds a study made with another plan."""


def marker_path(plan: StudyPlan, stage: Stage) -> str:
    return osp.join(plan.out, 'stages', f'{stage.name}.json')


def write_json_atomic(obj, path: str) -> None:
    os.makedirs(osp.dirname(path), exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix='.tmp-', dir=osp.dirname(path))
    try:
        with os.fdopen(fd, 'w') as f:
            json.dump(obj, f, indent=1)
        os.replace(tmp, path)
    except BaseException:
        if osp.exists(tmp):
            os.remove(tmp)
        raise


def write_plan_record(record: Dict, path: str) -> None:
    """Write ``<out>/plan.json``; StudyError if it holds another plan's stages.

    The record of the study already in ``--out`` is what tells its owner how to resume it, so a
    command with other arguments must not replace it (its stages would then stop on the
    markers anyway).
    """
    if osp.isfile(path):
        try:
            with open(path) as f:
                old = json.load(f)
            old_stages = old['stages']
        except (OSError, ValueError, KeyError, TypeError) as e:
            raise StudyError(f"unreadable plan record '{path}' ({e}): delete it, or use another "
                             '--out') from e
        if old_stages != json.loads(json.dumps(record['stages'])):
            raise StudyError(
                f"--out '{osp.dirname(path)}' holds a study planned by `{old.get('command', '?')}`; "
                'this command plans other stages. Rerun that command to resume it, or give '
                'another --out')
    write_json_atomic(record, path)


def read_marker(plan: StudyPlan, stage: Stage) -> Optional[Dict]:
    """The stage's marker when it finished with the same spec; None when it has not run."""
    path = marker_path(plan, stage)
    if not osp.isfile(path):
        return None
    try:
        with open(path) as f:
            marker = json.load(f)
        spec = marker['spec']
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise StudyError(f"unreadable stage marker '{path}' ({e}): delete it to rerun the "
                         'stage') from e
    if spec != json.loads(json.dumps(stage.spec)):
        raise StudyError(
            f"'{path}': stage {stage.name} finished with {spec}, but this command plans "
            f'{stage.spec}. Rerun with the arguments of the first run (see '
            f"'{osp.join(plan.out, 'plan.json')}'), or use another --out")
    return marker


def run_data(plan: StudyPlan, stage: Stage) -> None:
    """The quickstart's detection set and the unlabeled set, both deterministic."""
    root = stage.spec['data_root']
    shapes = dict(Config.fromfile(QUICKSTART).shapes)
    ensure_shapes_dataset(osp.join(root, 'shapes'), **shapes)
    ensure_unlabeled_shapes(osp.join(root, 'shapes_unlabeled'),
                            num_images=stage.spec['num_unlabeled'])


def stage_threads(threads: str) -> Optional[int]:
    """CPU threads for the next stage: a number, None (torch's default) or 'auto'.

    'auto': one thread while the 1-minute load average exceeds the cores by more than the
    study's own previous stage adds (about 1.5: its threads and data worker), i.e. while
    other work oversubscribes the CPU (OpenMP threads waiting for each other then cost far
    more than their share); else torch's default.
    """
    if threads == 'auto':
        return 1 if os.getloadavg()[0] > (os.cpu_count() or 1) + 1.5 else None
    return None if threads in (None, '', '0') else int(threads)


def run_training(repo: str, plan: StudyPlan, stage: Stage, progress: StudyProgress,
                 threads: Optional[str] = None) -> Optional[int]:
    """tools/train.py in a fresh process; output appended to ``<out>/logs/<stage>.log``.

    Returns the thread count it was given (None: torch's default).
    """
    log_path = osp.join(plan.out, 'logs', f'{stage.name}.log')
    os.makedirs(osp.dirname(log_path), exist_ok=True)
    argv = train_command(repo, plan, stage)
    env = dict(os.environ)
    n_threads = stage_threads(threads)
    if n_threads is not None:
        env.update(OMP_NUM_THREADS=str(n_threads), MKL_NUM_THREADS=str(n_threads))
    tail = deque(maxlen=30)
    with open(log_path, 'a') as log:
        log.write(f"\n$ {' '.join(argv)}\n# threads: {n_threads or 'default'}\n")
        log.flush()
        proc = subprocess.Popen(argv, cwd=repo, stdout=subprocess.PIPE, env=env,
                                stderr=subprocess.STDOUT, text=True, bufsize=1)
        try:
            for line in proc.stdout:
                log.write(line)
                log.flush()
                tail.append(line.rstrip())
                progress.update(line)
            code = proc.wait()
        except BaseException:
            proc.terminate()
            proc.wait()
            raise
    if code != 0:
        raise StudyError(f'stage {stage.name} failed (exit {code}); last lines of {log_path}:\n'
                         + '\n'.join(tail) + '\nFix the cause and rerun the same command: '
                         'finished stages are skipped, this one resumes from its last checkpoint')
    return n_threads


def run_study(repo: str, plan: StudyPlan, report: Callable[[StudyPlan], None],
              printer=print, threads: Optional[str] = None) -> float:
    """Run every stage not yet finished; returns the wall seconds of this invocation."""
    start = time.monotonic()
    progress = StudyProgress(plan, printer=printer)
    for stage in plan.stages:
        if stage.kind != 'report' and read_marker(plan, stage) is not None:
            printer(f'[mini_study] {stage.name}: finished earlier, skipped', flush=True)
            progress.skip(stage)
            continue
        progress.start(stage)
        stage_start = time.monotonic()
        n_threads = None
        if stage.kind == 'data':
            run_data(plan, stage)
        elif stage.kind == 'report':
            report(plan)
        else:
            n_threads = run_training(repo, plan, stage, progress, threads)
        wall = time.monotonic() - stage_start
        if stage.kind != 'report':
            write_json_atomic(dict(
                name=stage.name, spec=stage.spec, wall_seconds=round(wall, 1),
                est_idle_seconds=round(stage.est_seconds, 1),
                threads=n_threads or 'default',
                load_average=round(os.getloadavg()[0], 1),
                finished=datetime.datetime.now(datetime.timezone.utc).isoformat(
                    timespec='seconds')), marker_path(plan, stage))
        progress.finish(stage)
        printer(f'[mini_study] {stage.name}: done in {wall / 60:.1f} min', flush=True)
    return time.monotonic() - start
