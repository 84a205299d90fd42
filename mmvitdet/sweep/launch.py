"""Commands that train a run: locally, with tools/dist_train.sh, or as a Slurm array."""
import os.path as osp
import shlex
from typing import List, Sequence, Tuple

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TOOLS = osp.join(REPO, 'tools')


def _train_args(config: str, work_dir: str, cfg_options: Sequence[str]) -> List[str]:
    # --resume without a path: mmengine resumes from work_dir's latest
    # checkpoint when there is one and starts afresh otherwise.
    args = [config, '--work-dir', work_dir, '--resume']
    if cfg_options:
        args += ['--cfg-options', *cfg_options]
    return args


def local_command(python: str, config: str, work_dir: str, cfg_options: Sequence[str] = (),
                  gpus: int = 1) -> List[str]:
    """tools/train.py in this process's environment, or tools/dist_train.sh for ``gpus`` > 1."""
    if gpus > 1:
        return dist_command(config, work_dir, gpus, cfg_options)
    return [python, osp.join(TOOLS, 'train.py'), *_train_args(config, work_dir, cfg_options)]


def dist_command(config: str, work_dir: str, gpus: int, cfg_options: Sequence[str] = ()) -> List[str]:
    """``bash tools/dist_train.sh CONFIG GPUS ...`` (several nodes: NNODES, NODE_RANK, MASTER_ADDR, PORT)."""
    return ['bash', osp.join(TOOLS, 'dist_train.sh'), config, str(gpus),
            *_train_args(config, work_dir, cfg_options)[1:]]


def test_command(python: str, config: str, checkpoint: str, work_dir: str,
                 cfg_options: Sequence[str] = ()) -> List[str]:
    """tools/test.py on the final checkpoint, its metrics logged into ``work_dir``."""
    cmd = [python, osp.join(TOOLS, 'test.py'), config, checkpoint, '--work-dir', work_dir]
    return cmd + (['--cfg-options', *cfg_options] if cfg_options else [])


def slurm_array_script(runs: Sequence[Tuple[str, str, str]], path: str, partition: str, gpus: int,
                       gpus_per_node: int, cpus_per_task: int = 5, cfg_options: Sequence[str] = (),
                       job_name: str = 'sweep', signal_lead: int = 180) -> str:
    """An sbatch script (to be saved at ``path``) whose array task i trains ``runs[i]`` = (name, config, work_dir).

    Each task holds ``gpus`` GPUs (one process each, ``--launcher slurm``) and resumes its run when requeued or
    resubmitted. Slurm sends SIGUSR1 ``signal_lead`` seconds before the time limit: the trainer saves its iteration
    in flight and exits 75, and the task requeues itself.
    """
    if gpus % gpus_per_node and gpus > gpus_per_node:
        raise ValueError(f'--gpus {gpus} is not a multiple of --gpus-per-node {gpus_per_node}')
    nodes = max(1, gpus // gpus_per_node)
    per_node = min(gpus, gpus_per_node)
    q = shlex.quote
    entries = '\n'.join(f'    {q(c)} {q(w)}  # {n}' for n, c, w in runs)
    options = ' '.join(q(o) for o in cfg_options)
    extra = f' --cfg-options {options}' if cfg_options else ''
    return f'''#!/usr/bin/env bash
# Slurm array of {len(runs)} sweep runs, written by tools/sweep.py. Submit with:
#   sbatch --array=0-{len(runs) - 1} {path}
#SBATCH --job-name={job_name}
#SBATCH --partition={partition}
#SBATCH --nodes={nodes}
#SBATCH --ntasks-per-node={per_node}
#SBATCH --gres=gpu:{per_node}
#SBATCH --cpus-per-task={cpus_per_task}
#SBATCH --requeue
#SBATCH --signal=USR1@{signal_lead}
set -euo pipefail
RUNS=(
{entries}
)
CONFIG=${{RUNS[$((2 * SLURM_ARRAY_TASK_ID))]}}
WORK_DIR=${{RUNS[$((2 * SLURM_ARRAY_TASK_ID + 1))]}}
PY="${{VIRTUAL_ENV:-{REPO}/.venv}}/bin/python"
[[ -x "$PY" ]] || PY=python
cd {q(REPO)}
PYTHONPATH={q(REPO)}${{PYTHONPATH:+:$PYTHONPATH}} \\
status=0
srun --kill-on-bad-exit=1 "$PY" -u tools/train.py "$CONFIG" --work-dir "$WORK_DIR" \\
    --launcher slurm --resume{extra} || status=$?
if [[ $status -eq 75 ]]; then  # preempted / time limit near: the iteration in flight is saved
    scontrol requeue "${{SLURM_ARRAY_JOB_ID}}_${{SLURM_ARRAY_TASK_ID}}"
fi
exit $status
'''
