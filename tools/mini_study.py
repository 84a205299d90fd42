"""The study in miniature on a CPU: pre-train, transfer, compare.

    python tools/mini_study.py [--budget-min 60] [--seeds 1] [--out work_dirs/mini_study]

Generates the unlabeled shapes set (4000 images) and the quickstart's detection set; pre-trains
the quickstart's ViT with mmpretrain's MAE, MoCo v3, multi-label supervised classification
and the BEiT architecture with SimMIM's pixel target, each for the same idle-CPU wall time;
fine-tunes the quickstart detector from each of them and from random init (same schedule and
hyper-parameters, --seeds seeds each); writes the main table, the convergence figures and
summary.md under --out. Prints progress and an ETA; rerunning the same command resumes
(finished stages are skipped, an interrupted one continues from its last checkpoint).
"""
import argparse
import dataclasses
import json
import os
import os.path as osp
import shlex
import signal
import sys

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    parser.add_argument('--budget-min', type=float, default=60.0,
                        help='idle 2-core CPU minutes for the whole study; sets the iteration '
                             'counts (default 60)')
    parser.add_argument('--seeds', type=int, default=1,
                        help='fine-tuning runs per init (seeds 0..K-1); mean ± std when > 1')
    parser.add_argument('--out', default='work_dirs/mini_study', help='output folder')
    parser.add_argument('--data-root', default='data',
                        help='where shapes/ (detection) and shapes_unlabeled/ are generated')
    parser.add_argument('--num-unlabeled', type=int, default=4000,
                        help='images in the unlabeled pre-training set')
    parser.add_argument('--det-subset', type=int, default=None,
                        help='smoke test only: fine-tune and evaluate on the first N detection '
                             'images')
    parser.add_argument('--protocols', default='full',
                        help="transfer protocols, comma-separated: full (the paper's fine-tuning) and frozen "
                             '(backbone frozen, same schedule); e.g. --protocols full,frozen (default: full)')
    parser.add_argument('--threads', default=None,
                        help="CPU threads per training stage: N, or 'auto' (1 thread while the "
                             'machine is oversubscribed, else torch\'s default); default: '
                             "torch's default")
    parser.add_argument('--calibrate', type=int, metavar='ITERS', default=None,
                        help='measure each stage\'s s/iter side by side over ITERS iterations '
                             '(values for mmvitdet/study/plan.py SECONDS_PER_ITER) and exit')
    parser.add_argument('--dry-run', action='store_true',
                        help='print the plan (stages, iterations, estimated minutes) and exit')
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    from mmvitdet.study import StudyError, build_plan, run_study
    from mmvitdet.study.commands import train_command
    from mmvitdet.study.report import write_report
    from mmvitdet.study.out_lock import exclusive_out
    from mmvitdet.study.runner import marker_path, write_plan_record

    out = osp.abspath(args.out)
    data_root = osp.abspath(args.data_root)
    if args.calibrate:
        from mmvitdet.study.calibrate import calibrate
        from mmvitdet.study.plan import SECONDS_PER_ITER
        for name, t in calibrate(REPO, data_root, args.calibrate).items():
            print(f'{name:<12} {t["cpu"]:.3f} CPU s/iter (1 thread), idle 2-core estimate '
                  f'{t["idle"]:.3f} (plan uses {SECONDS_PER_ITER[name]:.3f})')
        return 0
    try:
        plan = build_plan(out, args.budget_min, args.seeds, args.num_unlabeled, data_root,
                          args.det_subset, protocols=tuple(p.strip() for p in args.protocols.split(',') if p.strip()))
    except ValueError as e:
        print(f'mini_study: {e}', file=sys.stderr)
        return 2
    print(f'[mini_study] plan: {len(plan.stages)} stages, about {plan.est_seconds / 60:.0f} min '
          f'on an idle 2-core CPU; pre-training iterations {plan.pretrain_iters}, '
          f'fine-tuning {plan.finetune_epochs} epochs x {args.seeds} seed(s) x protocols '
          f'{", ".join(plan.protocols)}', flush=True)
    if args.dry_run:
        for stage in plan.stages:
            line = f'  {stage.name:<28} ~{stage.est_seconds / 60:5.1f} min'
            if stage.kind in ('pretrain', 'finetune'):
                line += '  ' + ' '.join(map(shlex.quote, train_command(REPO, plan, stage)[1:]))
            print(line)
        return 0
    command = 'python tools/mini_study.py ' + ' '.join(map(shlex.quote, sys.argv[1:] if argv is None else argv))
    plan_record = dict(command=command, budget_min=args.budget_min, seeds=args.seeds, protocols=list(plan.protocols),
                       pretrain_iters=plan.pretrain_iters, finetune_epochs=plan.finetune_epochs,
                       stages=[dataclasses.asdict(s) for s in plan.stages])

    def report(plan):
        walls = {}
        for stage in plan.stages:
            path = marker_path(plan, stage)
            if osp.isfile(path):
                with open(path) as f:
                    walls[stage.name] = json.load(f)
        summary = write_report(plan, REPO, command, walls)
        print(f'[mini_study] results: {summary}', flush=True)

    def stop(signum, frame):  # `kill PID` stops the running stage too (it resumes later)
        raise KeyboardInterrupt(f'signal {signum}')

    signal.signal(signal.SIGTERM, stop)
    try:
        with exclusive_out(out):
            write_plan_record(plan_record, osp.join(out, 'plan.json'))
            wall = run_study(REPO, plan, report, threads=args.threads)
    except StudyError as e:
        print(f'mini_study: {e}', file=sys.stderr)
        return 1
    print(f'[mini_study] finished; this invocation took {wall / 60:.1f} min', flush=True)
    return 0


if __name__ == '__main__':
    from mmvitdet.utils.cli_errors import run_cli
    run_cli(main)  # input errors: one line, status 2
