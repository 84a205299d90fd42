"""Train-step time of detector configs with mmcv's ops from torchvision (mmvitdet's stand-in) and from mmcv's
compiled extension, side by side: the two backends alternate in fresh processes over --rounds (medians).

    # a folder holding mmcv 2.1.0 with compiled ops, e.g. from a built wheel:
    python -m pip install --no-deps --target /tmp/mmcv-full ../shared/wheels/mmcv-2.1.0-cp311-cp311-linux_x86_64.whl
    python tools/analysis/benchmark_mmcv_ops.py --compiled /tmp/mmcv-full --img-size 448 --rounds 3 \\
        configs/quickstart/mask-rcnn_vit-t-random_fpn_lsj-10e_shapes.py \\
        configs/mae/mask-rcnn_vit-b-mae_fpn_lsj-100e_coco.py

The compiled folder goes first on PYTHONPATH of its processes, where Python finds its ``mmcv._ext`` before the
stand-in's finder is asked; each process reports which backend it ran.
"""
import argparse
import os
import os.path as osp
import statistics
import sys

from mmvitdet.analysis.cost_benchmark import CostSpec, run_subprocess

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('configs', nargs='+', help='detector configs')
    parser.add_argument('--compiled', required=True, help='folder holding mmcv 2.1.0 with compiled ops')
    parser.add_argument('--img-size', type=int, help='square input in pixels (e.g. 448 on a CPU)')
    parser.add_argument('--iters', type=int, default=3, help='timed iterations per process')
    parser.add_argument('--warmup', type=int, default=1)
    parser.add_argument('--rounds', type=int, default=3)
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    if not osp.isdir(osp.join(args.compiled, 'mmcv')):
        raise SystemExit(f'error: --compiled {args.compiled} holds no mmcv/ folder (install a built mmcv wheel '
                         'there with pip install --no-deps --target)')
    base = os.environ.get('PYTHONPATH', '')
    envs = {'torchvision': dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [REPO, base]))),
            'compiled': dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [args.compiled, REPO, base])))}
    times = {(c, b): [] for c in args.configs for b in envs}
    seen = {}
    for r in range(args.rounds):
        for config in args.configs:
            for backend, env in envs.items():
                spec = CostSpec(config=config, mode='train', img_size=args.img_size, warmup=args.warmup,
                                iters=args.iters)
                out = run_subprocess(spec, env=env)
                times[(config, backend)].append(out['time'])
                seen[(config, backend)] = out['mmcv_ops']
                print(f'round {r + 1}/{args.rounds} {osp.basename(config)} {backend}: {out["time"]:.3f} s/iter '
                      f'({out["mmcv_ops"]})', flush=True)
    print(f'\n| config | mmcv ops | s/iter (median of {args.rounds}) | ratio to torchvision |\n|---|---|---|---|')
    for config in args.configs:
        ref = statistics.median(times[(config, 'torchvision')])
        for backend in envs:
            t = statistics.median(times[(config, backend)])
            print(f'| {osp.basename(config)} | {seen[(config, backend)]} | {t:.3f} | {t / ref:.3f} |')
    print(f'\nload average {os.getloadavg()[0]:.2f}')


if __name__ == '__main__':
    sys.exit(main())
