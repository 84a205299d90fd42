"""Training and inference cost of detector configs side by side (the paper's Table 3 layout).

    # GPU, configs unchanged (1024x1024, the configs' mixed precision)
    python tools/analysis/benchmark_cost.py configs/mae/mask-rcnn_vit-b-mae_fpn_lsj-100e_coco.py \
        configs/ablations/attention/*.py --rounds 3
    # CPU: a reduced input size rewrites backbone img_size, pipeline scales and padding
    python tools/analysis/benchmark_cost.py CONFIG... --img-size 256 --iters 2 --rounds 2

Per config: parameters, FLOPs, training s/iter, inference s/img and peak memory, with
ratios to the first config. Inputs are synthetic (random images, --num-gt random boxes and
masks per image); no dataset or checkpoint is read. Each (config, mode) runs in a fresh
process; configs are interleaved over --rounds and times are medians.
"""
import argparse
import os.path as osp
import statistics
import sys

import torch
from mmengine.config import DictAction

from mmvitdet.analysis.cost_benchmark import CostSpec, load_cost_config, run_cost_benchmark
from mmvitdet.analysis.cost_table import cost_table
from mmvitdet.analysis.measure import matmul_rate
from mmvitdet.analysis.table_format import FORMATS


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('configs', nargs='+', help='detector configs; ratios are to the first')
    parser.add_argument('--names', nargs='+', help='row labels (default: config file names)')
    parser.add_argument('--img-size', type=int,
                        help='square input in pixels instead of the configured one (e.g. 256 on CPU)')
    parser.add_argument('--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    amp = parser.add_mutually_exclusive_group()
    amp.add_argument('--amp', dest='amp', action='store_true', default=None,
                     help='mixed precision for training and inference (GPU)')
    amp.add_argument('--no-amp', dest='amp', action='store_false',
                     help='fp32 even where the config trains with AMP')
    parser.add_argument('--batch-size', type=int, default=1, help='images per iteration')
    parser.add_argument('--num-gt', type=int, default=20, help='GT instances per image')
    parser.add_argument('--modes', nargs='+', choices=['train', 'infer'], default=['train', 'infer'])
    parser.add_argument('--warmup', type=int, default=2, help='untimed steps per process')
    parser.add_argument('--iters', type=int, default=5, help='timed steps per process')
    parser.add_argument('--rounds', type=int, default=3, help='interleaved rounds')
    parser.add_argument('--keep-score-thr', action='store_true',
                        help="keep the config's test score threshold (default: 0, so that every "
                        'image sends max_per_img detections through the mask head)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, default={},
                        help='key=value overrides applied to every config')
    parser.add_argument('--format', choices=FORMATS, default='md')
    parser.add_argument('--out', help='also write the table as OUT.md, OUT.csv and OUT.tex')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    names = args.names or [osp.splitext(osp.basename(c))[0] for c in args.configs]
    if len(names) != len(args.configs):
        sys.exit(f'benchmark_cost: {len(names)} --names for {len(args.configs)} configs')
    for config in args.configs:
        if not osp.isfile(config):
            sys.exit(f'benchmark_cost: config {config} does not exist')
    specs = {}
    for name, config in zip(names, args.configs):
        specs[name] = {
            mode: CostSpec(config=config, mode=mode, img_size=args.img_size,
                           cfg_options=dict(args.cfg_options), device=args.device, amp=args.amp,
                           batch_size=args.batch_size, num_gt=args.num_gt, warmup=args.warmup,
                           iters=args.iters,
                           score_thr=None if args.keep_score_thr else 0.0)
            for mode in args.modes
        }
        try:
            _, changes = load_cost_config(specs[name][args.modes[0]])
        except (KeyError, ValueError) as e:
            sys.exit(f'benchmark_cost: {e}')
        for change in changes:
            print(f'{name}: {change}', file=sys.stderr)

    device = torch.device(args.device)
    gemm = [matmul_rate(device)]
    results = run_cost_benchmark(specs, args.rounds, log=lambda m: print(m, file=sys.stderr))
    gemm.append(matmul_rate(device))
    size = f'{args.img_size}x{args.img_size} (rewritten)' if args.img_size else 'configured size'
    device_name = torch.cuda.get_device_name(device) if device.type == 'cuda' else 'CPU'
    title = (f'Cost at {size}, {device_name}, batch {args.batch_size}, '
             f'{args.rounds} rounds x {args.iters} iters')
    table = cost_table(results, args.batch_size, title)
    table.notes.append(f'device GEMM rate {statistics.median(gemm) / 1e9:.0f} GFLOP/s '
                       f'(fp32 2048^3), torch {torch.__version__}, '
                       f'{torch.get_num_threads()} CPU threads')
    print(table.render(args.format))
    if args.out:
        for fmt in FORMATS:
            with open(f'{args.out}.{fmt}', 'w') as f:
                f.write(table.render(fmt))


if __name__ == '__main__':
    from mmvitdet.utils.cli_errors import run_cli
    run_cli(main)  # mmvitdet's input errors: one line on stderr, exit status 2
