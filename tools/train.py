"""Train a detector: mmdet 3.3's tools/train.py interface, with mmvitdet registered and a CPU fallback.

    python tools/train.py CONFIG [--work-dir DIR] [--amp] [--auto-scale-lr] [--resume [CKPT]]
                                 [--cfg-options k=v ...] [--launcher {none,pytorch,slurm,mpi}]
                                 [--vis-backend tensorboard|wandb|mlflow|...] [--short [ITERS] [--short-size PX]]

Exit status: 0 done; 2 bad input or a diverged run (one ``error:`` line); 75 preempted (SIGTERM / SIGUSR1): the
iteration in flight was saved, ``--resume`` continues with the next one.
"""
import argparse
import os
import sys

from mmengine.config import DictAction

from mmvitdet.engine.vis_backends import VIS_BACKENDS, vis_backends_for


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Train a detector')
    parser.add_argument('config', help='train config file path')
    parser.add_argument('--work-dir', help='the dir to save logs and models (default: work_dirs/<config stem>)')
    parser.add_argument('--amp', action='store_true', default=False, help='enable automatic-mixed-precision training')
    parser.add_argument('--auto-scale-lr', action='store_true', help='enable automatically scaling LR')
    parser.add_argument(
        '--resume',
        nargs='?',
        type=str,
        const='auto',
        help='resume from this checkpoint, or, without a path, from the newest checkpoint in the work directory '
        'whose sha256 sidecar verifies (skipped ones are named)')
    parser.add_argument(
        '--accept-changes',
        action='store_true',
        help='with --resume: apply the config\'s differences from the one the checkpoint was trained under (an lr '
        'reaches the optimizer and schedule) from the next iteration, recorded in <work_dir>/config_history.json; '
        'without it such differences stop the run (the schedule length, evaluation and logging may always change)')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override settings of the config, key=value pairs, e.g. train_cfg.max_epochs=1 '
        'optim_wrapper.optimizer.lr=1e-4; lists as key="[a,b]" or key=a,b (quotes needed, no spaces)')
    parser.add_argument(
        '--vis-backend',
        nargs='+',
        choices=['local', *VIS_BACKENDS],
        help='experiment tracking besides the local scalars.json, e.g. --vis-backend tensorboard '
        '(logs in <work_dir>/<timestamp>/vis_data; needs that backend\'s package, e.g. pip install tensorboard)')
    parser.add_argument(
        '--short',
        nargs='?',
        type=int,
        const=20,
        metavar='ITERS',
        help='a first look in minutes on a CPU: ITERS iterations (default 20) of batch 2 at --short-size pixels, '
        'then an evaluation on the first 20 val images; work dir work_dirs/<config stem>_short')
    parser.add_argument('--short-size', type=int, default=256, metavar='PX',
                        help='input size of --short (default 256; configs at a smaller size keep theirs)')
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'], default='none', help='job launcher')
    # torch.distributed launchers pass --local-rank (torch >= 2.0) or --local_rank
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args(argv)
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def main(argv=None):
    args = parse_args(argv)

    import mmvitdet  # noqa: F401  registration, safe checkpoint loading, atomic checkpoint writes
    from mmvitdet.ops import mmcv_ops_backend
    from mmdet.utils import setup_cache_size_limit_of_dynamo
    from mmengine.registry import RUNNERS
    from mmengine.runner import Runner
    from mmvitdet.engine.launch_config import (add_custom_hook_once, backbone_training_line, init_cpu_distributed,
                                               load_launch_config, shutdown_distributed)

    setup_cache_size_limit_of_dynamo()
    # --amp: AmpOptimWrapper; without CUDA the config falls back to fp32 (one log line)
    work_dir = args.work_dir
    if args.short is not None and work_dir is None:  # never mixed into a full run's work dir
        work_dir = os.path.join('./work_dirs', os.path.splitext(os.path.basename(args.config))[0] + '_short')
    cfg = load_launch_config(args.config, args.cfg_options, work_dir, args.launcher, amp=args.amp)
    if args.short is not None:
        from mmengine.logging import print_log
        from mmvitdet.engine.short_run import shorten
        for change in shorten(cfg, args.short, args.short_size, args.config):
            print_log(f'short run: {change}', logger='current')

    from mmvitdet.engine.divergence_guard import add_divergence_guard
    from mmvitdet.engine.preemption import add_preemption_hook
    add_divergence_guard(cfg)  # a non-finite loss stops the run (divergence_guard.enable=False: train on)
    add_preemption_hook(cfg)  # SIGTERM / SIGUSR1 save the iteration in flight (preemption.enable=False: die at once)
    if cfg.get('train_cfg', {}).get('type') == 'EpochBasedTrainLoop':
        cfg.train_cfg.type = 'ResumableEpochBasedTrainLoop'  # a mid-epoch checkpoint resumes at the next batch
    if args.vis_backend:
        cfg.visualizer.vis_backends = vis_backends_for(args.vis_backend)
    if args.auto_scale_lr:
        if 'enable' in cfg.get('auto_scale_lr', {}) and 'base_batch_size' in cfg.auto_scale_lr:
            cfg.auto_scale_lr.enable = True
        else:
            sys.exit(f'--auto-scale-lr: {args.config} has no auto_scale_lr=dict(enable=..., base_batch_size=...); '
                     'add it to the config (base_batch_size = the total batch size its lr was tuned for)')

    from mmengine.logging import print_log
    from mmvitdet.engine.checkpoint_digest import newest_verified_checkpoint, remove_stale_temp_files
    from mmvitdet.engine.work_dir_lock import hold_work_dir
    say = lambda m: print_log(m, logger='current')  # noqa: E731
    if hold_work_dir(cfg.work_dir, 'tools/train.py', log=say):  # one run per work dir (rank 0 holds it)
        remove_stale_temp_files(cfg.work_dir, log=say)
    if args.resume == 'auto':
        cfg.resume = True
        cfg.load_from = newest_verified_checkpoint(cfg.work_dir, log=say)  # None: nothing yet, start afresh
        if cfg.load_from is None:
            cfg.resume = False
    elif args.resume is not None:
        cfg.resume = True
        cfg.load_from = args.resume

    from mmvitdet.engine.resume_changes import resume_changes
    resuming = cfg.get('resume') and cfg.get('load_from')
    changes = resume_changes(cfg.load_from, cfg.pretty_text, args.accept_changes) if resuming else {}
    add_custom_hook_once(cfg, dict(type='ConfigHistoryHook', changes={k: list(v) for k, v in changes.items()}))

    init_cpu_distributed(cfg)
    own_data = cfg.get('own_data', None) is not None
    if own_data:
        from mmvitdet.datasets.bad_images import check_recorded_bad_images
        check_recorded_bad_images(cfg.work_dir)  # an image that failed before, unchanged: stop now, not an epoch in
        add_custom_hook_once(cfg, dict(type='BatchInFlightHook'))
    runner = Runner.from_cfg(cfg) if 'runner_type' not in cfg else RUNNERS.build(cfg)
    runner.logger.info(f'mmcv ops: {mmcv_ops_backend()}')  # compiled mmcv, or torchvision's kernels
    frozen_line = backbone_training_line(runner.model)
    if frozen_line:
        runner.logger.info(frozen_line)
    from mmvitdet.engine.preemption import EXIT_PREEMPTED, TrainingPreempted
    try:
        runner.train()
    except TrainingPreempted:
        shutdown_distributed()
        return EXIT_PREEMPTED
    except Exception as exc:
        from mmvitdet.datasets.checked_loading import ImageReadError
        from mmvitdet.errors import UserInputError
        if own_data and isinstance(exc, ImageReadError) and runner.rank == 0:
            from mmvitdet.datasets.bad_images import record_bad_image
            from mmvitdet.utils.cli_errors import user_error_message
            record_bad_image(cfg.work_dir, user_error_message(exc))  # refused at the next launch until replaced
        if not own_data or isinstance(exc, UserInputError):
            raise
        from mmvitdet.engine.batch_in_flight import own_data_failure
        raise own_data_failure(exc, runner, cfg) from exc
    shutdown_distributed()


if __name__ == '__main__':
    from mmvitdet.utils.cli_errors import run_cli
    run_cli(main)  # mmvitdet's input errors: one line on stderr, exit status 2
