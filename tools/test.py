"""Test (and evaluate) a detector: mmdet 3.3's tools/test.py interface, with mmvitdet registered and a CPU fallback.

    python tools/test.py CONFIG CHECKPOINT [--work-dir DIR] [--out results.pkl] [--show] [--show-dir DIR]
                                           [--allow-partial] [--cfg-options k=v ...] [--launcher {none,pytorch,slurm,mpi}]

The checkpoint is loaded strictly: a file that does not fit the config's model (other classes, size, detector) is
one ``error:`` line and exit status 2, as is a missing file.
"""
import argparse
import os

from mmengine.config import DictAction


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Test (and evaluate) a detector')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--work-dir', help='the dir to save the evaluation metrics (default: work_dirs/<config stem>)')
    parser.add_argument('--out', type=str, help='dump predictions to a pickle file (.pkl) for offline evaluation')
    parser.add_argument('--show', action='store_true', help='show prediction results in a window')
    parser.add_argument('--show-dir', help='save painted predictions under work_dir/<timestamp>/<show-dir>')
    parser.add_argument('--wait-time', type=float, default=2, help='the interval of --show (s)')
    parser.add_argument('--allow-partial', action='store_true',
                        help='load a checkpoint that does not fit the model; what it lacks stays random (logged)')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override settings of the config, key=value pairs; lists as key="[a,b]" or key=a,b')
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'], default='none', help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args(argv)
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def main(argv=None):
    args = parse_args(argv)
    from mmvitdet.errors import UserInputError
    if args.out is not None and not args.out.endswith(('.pkl', '.pickle')):
        raise UserInputError(f'--out {args.out}: the dump file must end in .pkl or .pickle')
    from mmvitdet.engine.checkpoint_loading import not_a_file_error
    checkpoint = os.path.expanduser(args.checkpoint)
    if not os.path.isfile(checkpoint):
        raise not_a_file_error(checkpoint, 'a trained detector, e.g. work_dirs/<config name>/epoch_N.pth')

    import mmvitdet  # noqa: F401  registration, safe checkpoint loading
    from mmvitdet.ops import mmcv_ops_backend
    from mmdet.engine.hooks.utils import trigger_visualization_hook
    from mmdet.evaluation import DumpDetResults
    from mmdet.utils import setup_cache_size_limit_of_dynamo
    from mmengine.registry import RUNNERS
    from mmengine.runner import Runner
    from mmvitdet.engine.launch_config import (init_cpu_distributed, load_launch_config,
                                               shutdown_distributed)

    setup_cache_size_limit_of_dynamo()
    cfg = load_launch_config(args.config, args.cfg_options, args.work_dir, args.launcher)
    if args.show or args.show_dir:
        cfg = trigger_visualization_hook(cfg, args)

    init_cpu_distributed(cfg)
    from mmengine.logging import print_log
    from mmvitdet.engine.work_dir_lock import hold_work_dir
    hold_work_dir(cfg.work_dir, 'tools/test.py', log=lambda m: print_log(m, logger='current'))  # one run per work dir
    runner = Runner.from_cfg(cfg) if 'runner_type' not in cfg else RUNNERS.build(cfg)
    if args.out is not None:
        runner.test_evaluator.metrics.append(DumpDetResults(out_file_path=args.out))
    runner.logger.info(f'mmcv ops: {mmcv_ops_backend()}')  # compiled mmcv, or torchvision's kernels
    from mmengine.model import is_model_wrapper
    from mmvitdet.engine.detector_checkpoint import load_detector_checkpoint
    model = runner.model.module if is_model_wrapper(runner.model) else runner.model
    load_detector_checkpoint(model, checkpoint, allow_partial=args.allow_partial, log=runner.logger.info)
    runner.logger.info(f'loaded checkpoint {checkpoint}')
    runner.test()
    shutdown_distributed()


if __name__ == '__main__':
    from mmvitdet.utils.cli_errors import run_cli
    run_cli(main)  # mmvitdet's input errors: one line on stderr, exit status 2
