"""Expand a hyper-parameter grid (configs/grids/) into runs and train them, or emit their launch commands.

    python tools/sweep.py GRID --dry-run                 # list the runs, their state and command
    python tools/sweep.py GRID [--gpus N]                # train the unfinished runs one after another
    python tools/sweep.py GRID --emit dist --gpus 8      # print tools/dist_train.sh commands
    python tools/sweep.py GRID --emit slurm --partition P --gpus 32   # write a Slurm array script
    python tools/sweep.py GRID --next-stage              # read the results, write the next grid

Each run has a readable name (mae_vit-b_lr8e-05_wd0.1_dp0.0_25e), a config under
<work-root>/<grid name>/configs/ that inherits the grid's config, and a work dir
<work-root>/<grid name>/<run>/. Finished runs are skipped; interrupted ones resume
from their last checkpoint. A training child never outlives the sweep (SIGTERM, SIGINT, even SIGKILL of the
sweep end it), and a grid point whose work dir a live process holds is refused by that run's lock.
"""
import argparse
import os
import os.path as osp
import shlex
import sys

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    p.add_argument('grid', help='grid file, e.g. configs/grids/mae_vit-b_stage1.py')
    p.add_argument('--work-root', default=osp.join('work_dirs', 'sweeps'),
                   help='runs go to WORK_ROOT/<grid name>/<run> (default: work_dirs/sweeps)')
    p.add_argument('--dry-run', action='store_true', help='list the runs and what would be done; write nothing')
    p.add_argument('--emit', choices=['dist', 'slurm'],
                   help='print tools/dist_train.sh commands, or write a Slurm array script, instead of training')
    p.add_argument('--gpus', type=int, default=1,
                   help='GPUs per run (local: > 1 uses tools/dist_train.sh; slurm: tasks per run)')
    p.add_argument('--partition', help='Slurm partition (--emit slurm)')
    p.add_argument('--gpus-per-node', type=int, default=8, help='Slurm: GPUs per node (default 8)')
    p.add_argument('--cpus-per-task', type=int, default=5, help='Slurm: CPUs per task (default 5)')
    p.add_argument('--keep-going', action='store_true', help='local: go on with the next run after a failure')
    p.add_argument('--next-stage', action='store_true',
                   help='read the runs\' best coco/bbox_mAP and write the next grid (re-centred or next stage)')
    p.add_argument('--out', help='--next-stage: grid file to write '
                   '(default: WORK_ROOT/<name>/<name>_stage<k>_{next,recentred}.py)')
    p.add_argument('--allow-partial', action='store_true',
                   help='--next-stage: decide although some runs have not finished')
    p.add_argument('--cfg-options', nargs='+', default=[], metavar='KEY=VALUE',
                   help='passed to every run\'s tools/train.py (e.g. the data root)')
    args = p.parse_args(argv)
    if args.gpus < 1:
        p.error(f'--gpus {args.gpus}: give at least 1')
    if args.emit == 'slurm' and not args.partition:
        p.error('--emit slurm needs --partition')
    if args.next_stage and args.emit:
        p.error('--next-stage reads results; use it without --emit')
    return args


def _show(cmd):
    return ' '.join(shlex.quote(c) for c in cmd)


def main(argv=None):
    args = parse_args(argv)
    from mmvitdet.sweep import (GridError, dist_command, load_grid, local_command, plan_next_stage, run_state,
                                slurm_array_script, write_grid, write_run_config)
    from mmvitdet.sweep.launch import test_command
    from mmvitdet.sweep.results import FINISHED
    from mmvitdet.sweep.child import run_child

    try:
        grid = load_grid(args.grid)
    except GridError as e:
        sys.exit(str(e))
    root = osp.abspath(osp.join(args.work_root, grid.name))
    runs = grid.runs()
    plans = []
    for run in runs:
        work_dir = osp.join(root, run.name)
        config = osp.join(root, 'configs', run.name + '.py')
        plans.append((run, config, work_dir, run_state(work_dir, run.epochs)))

    if args.next_stage:
        unfinished = [r.name for r, _, _, s in plans if s.status not in FINISHED]
        if unfinished and not args.allow_partial:
            sys.exit(f'{len(unfinished)} of {len(runs)} runs of {args.grid} are not done: {unfinished}. '
                     'Train them first, or pass --allow-partial to decide on the finished ones.')
        try:
            step = plan_next_stage(grid, {r.name: s.best for r, _, _, s in plans})
        except GridError as e:
            sys.exit(str(e))
        print(f'best: {step.best.name}  coco/bbox_mAP={step.best_value:.4f}')
        print(step.reason)
        if step.grid is None:
            return 0
        suffix = 'recentred' if step.kind == 'extend' else 'next'
        out = args.out or osp.join(root, f"{grid.name}_stage{step.grid['stage']}_{suffix}.py")
        try:
            write_grid(step.grid, out, grid.path, step.reason)
        except GridError as e:
            sys.exit(str(e))
        print(f'wrote {out}; run it with: python tools/sweep.py {out}')
        return 0

    print(f'{args.grid}: {len(runs)} runs of {osp.relpath(grid.config, REPO)}, {grid.epochs} epochs')
    pending = [(r, c, w, s) for r, c, w, s in plans if s.status not in FINISHED]
    for run, _, work_dir, state in plans:
        best = '' if state.best is None else f'  best coco/bbox_mAP={state.best:.4f}'
        print(f'  {run.name:<48} {state.status}{best}')
    if args.dry_run:
        for run, config, work_dir, state in pending:
            if state.status == 'unevaluated':
                cmd = test_command(sys.executable, config, state.last_checkpoint, work_dir, args.cfg_options)
            else:
                cmd = local_command(sys.executable, config, work_dir, args.cfg_options, args.gpus)
            print(_show(cmd))
        print(f'dry run: {len(pending)} to run, {len(runs) - len(pending)} done; nothing written')
        return 0

    try:
        for run, config, _, _ in pending:
            write_run_config(grid, run, config)
    except GridError as e:
        sys.exit(str(e))

    if args.emit == 'dist':
        for run, config, work_dir, _ in pending:
            print(_show(dist_command(config, work_dir, args.gpus, args.cfg_options)))
        return 0
    if args.emit == 'slurm':
        path = osp.join(root, f'slurm_{osp.splitext(osp.basename(grid.path))[0]}.sh')
        text = slurm_array_script([(r.name, c, w) for r, c, w, _ in pending], path, args.partition, args.gpus,
                                  args.gpus_per_node, args.cpus_per_task, args.cfg_options, job_name=grid.name)
        with open(path, 'w') as f:
            f.write(text)
        print(f'wrote {path}\nsubmit: sbatch --array=0-{len(pending) - 1} {path}' if pending else
              'every run is done; nothing to submit')
        return 0

    failed = []
    for run, config, work_dir, state in pending:
        if state.status == 'unevaluated':
            cmd = test_command(sys.executable, config, state.last_checkpoint, work_dir, args.cfg_options)
        else:
            cmd = local_command(sys.executable, config, work_dir, args.cfg_options, args.gpus)
        print(f'== {run.name} ({state.status})\n{_show(cmd)}', flush=True)
        env = dict(os.environ, PYTHONPATH=REPO + os.pathsep + os.environ.get('PYTHONPATH', ''))
        rc = run_child(cmd, cwd=REPO, env=env)  # its own process group; never outlives the sweep
        if rc != 0 and run_state(work_dir, run.epochs).status == 'diverged':
            print(f'== {run.name} diverged (the divergence guard stopped it; marker in {work_dir}); '
                  'recorded, going on with the next grid point', file=sys.stderr)
            continue
        if rc != 0:
            failed.append(run.name)
            print(f'== {run.name} failed (exit {rc}); its work dir keeps the last checkpoint, rerun to resume',
                  file=sys.stderr)
            if not args.keep_going:
                break
    if failed:
        return 1
    left = [r.name for r, _, w, _ in plans if run_state(w, r.epochs).status not in FINISHED]
    if left:  # e.g. a --cfg-options that shortened training
        print(f'{len(left)} of {len(runs)} runs did not reach their last epoch / evaluation: {left}')
        return 1
    print(f'all {len(runs)} runs of {args.grid} are done; next: python tools/sweep.py {args.grid} --next-stage')
    return 0


if __name__ == '__main__':
    sys.exit(main())
