"""Benchmark ViT backbone variants side by side: fwd+bwd time, peak memory, FLOPs.

    python tools/analysis/benchmark_backbone.py --arch base --img-size 1024 \
        --variants mmpretrain-global ours-global ours-hybrid ours-global-cp --rounds 3

Ratios are to the first variant. Each variant runs in a fresh process, interleaved over
rounds; times are medians.
"""
import argparse
import statistics

import torch

from mmvitdet.analysis.backbone_benchmark import (VARIANTS, BenchSpec, format_table,
                                                  run_benchmark)
from mmvitdet.analysis.measure import matmul_rate


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--arch', default='base', choices=['base', 'large', 'huge'])
    parser.add_argument('--img-size', type=int, default=1024, help='square input, pixels')
    parser.add_argument('--batch-size', type=int, default=1)
    parser.add_argument('--variants', nargs='+', choices=sorted(VARIANTS),
                        default=['mmpretrain-global', 'ours-global', 'ours-hybrid',
                                 'ours-global-cp'])
    parser.add_argument('--rel-pos', action='store_true',
                        help="our variants with use_rel_pos_bias='shared' (the paper's detector)")
    parser.add_argument('--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    parser.add_argument('--amp', action='store_true', help='autocast (fp16 CUDA, bf16 CPU)')
    parser.add_argument('--warmup', type=int, default=1)
    parser.add_argument('--iters', type=int, default=2, help='timed iterations per round')
    parser.add_argument('--rounds', type=int, default=3)
    return parser.parse_args()


def main():
    args = parse_args()
    specs = [
        BenchSpec(variant=v, arch=args.arch, img_size=args.img_size,
                  batch_size=args.batch_size, rel_pos=args.rel_pos, device=args.device,
                  amp=args.amp, warmup=args.warmup, iters=args.iters)
        for v in args.variants
    ]
    device = torch.device(args.device)
    gemm = [matmul_rate(device)]
    results = run_benchmark(specs, args.rounds)
    gemm.append(matmul_rate(device))
    print(f'\nViT-{args.arch[0].upper()} at {args.img_size}, batch {args.batch_size}, '
          f'{args.device}{" AMP" if args.amp else ""}, {args.rounds} rounds x {args.iters} iters')
    print(format_table(results, statistics.median(gemm)))


if __name__ == '__main__':
    from mmvitdet.utils.cli_errors import run_cli
    run_cli(main)  # mmvitdet's input errors: one line on stderr, exit status 2
