"""Cost of two safety checks next to the work they guard (same run, interleaved rounds, medians).

    python tools/analysis/benchmark_run_safety.py finite [--config CONFIG] [--rounds 5]
    python tools/analysis/benchmark_run_safety.py decode [--images 10000] [--size 640x480] [--rounds 3]

``finite``: the detector of CONFIG (default: the paper's ViT-B MAE Mask R-CNN) with AdamW state of its size (two
moments per trainable parameter), as a checkpoint dict; the check of every tensor for NaN / inf before a save
(``non_finite_tensors``) against serializing the same dict (``torch.save`` to memory, what every save does).

``decode``: IMAGES JPEG files of SIZE (smooth synthetic content, COCO-like file sizes) in a temporary folder; the
launch check of own data with ``check='header'`` against ``check='decode'``.

Prints a markdown table with the medians, the ratio and the load average.
"""
import argparse
import io
import json
import os
import os.path as osp
import statistics
import sys
import tempfile
import time
from typing import Callable, Dict

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, REPO)
PAPER_CONFIG = osp.join(REPO, 'configs/mae/mask-rcnn_vit-b-mae_fpn_lsj-100e_coco.py')


def interleaved(cases: Dict[str, Callable[[], None]], rounds: int) -> Dict[str, float]:
    """Median seconds of each case over ``rounds`` rounds, the order rotating each round (after one warm-up)."""
    names = list(cases)
    times = {n: [] for n in names}
    for fn in cases.values():
        fn()
    for r in range(rounds):
        for name in names[r % len(names):] + names[:r % len(names)]:
            start = time.perf_counter()
            cases[name]()
            times[name].append(time.perf_counter() - start)
    return {n: statistics.median(t) for n, t in times.items()}


def finite_cases(config: str) -> Dict[str, Callable[[], None]]:
    import torch
    from mmdet.registry import MODELS
    from mmengine.config import Config
    from mmengine.registry import DefaultScope

    import mmvitdet  # noqa: F401
    from mmvitdet.engine.divergence_guard import non_finite_tensors
    cfg = Config.fromfile(config)
    cfg.model.backbone.init_cfg = None
    with DefaultScope.overwrite_default_scope('mmdet'):
        model = MODELS.build(cfg.model)
    params = [p for p in model.parameters() if p.requires_grad]
    state = {i: {'step': torch.tensor(1.0), 'exp_avg': torch.zeros_like(p), 'exp_avg_sq': torch.zeros_like(p)}
             for i, p in enumerate(params)}
    checkpoint = {'state_dict': model.state_dict(), 'optimizer': {'state': state, 'param_groups': [{'lr': 1e-4}]}}
    count = sum(t.numel() for t in checkpoint['state_dict'].values()) + 2 * sum(p.numel() for p in params)
    print(f'{osp.basename(config)}: {count / 1e6:.1f} M values in model + optimizer state')
    return {'finite check': lambda: non_finite_tensors(checkpoint),
            'torch.save to memory': lambda: torch.save(checkpoint, io.BytesIO())}


def decode_cases(images: int, size: str, folder: str) -> Dict[str, Callable[[], None]]:
    import cv2
    import numpy as np

    from mmvitdet.datasets.own_data_check import check_split
    width, height = (int(v) for v in size.split('x'))
    img_dir = osp.join(folder, 'images')
    os.makedirs(img_dir)
    yy, xx = np.mgrid[:height, :width]
    entries = []
    for i in range(images):
        img = np.stack([(xx * (i % 7 + 1)) % 256, (yy * (i % 5 + 1)) % 256, (xx + yy + i) % 256], -1)
        name = f'{i:06d}.jpg'
        cv2.imwrite(osp.join(img_dir, name), img.astype(np.uint8), [cv2.IMWRITE_JPEG_QUALITY, 90])
        entries.append(dict(id=i, file_name=name, width=width, height=height))
    data = dict(images=entries, annotations=[], categories=[dict(id=1, name='thing')])
    ann = osp.join(folder, 'annotations.json')
    with open(ann, 'w') as f:
        json.dump(data, f)
    mean_kb = sum(osp.getsize(osp.join(img_dir, e['file_name'])) for e in entries) / images / 1024
    print(f'{images} JPEG images of {width} x {height}, {mean_kb:.0f} KB on average')
    return {"check='header'": lambda: check_split(ann, img_dir, data, check='header'),
            "check='decode'": lambda: check_split(ann, img_dir, data, check='decode')}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('what', choices=['finite', 'decode'])
    parser.add_argument('--config', default=PAPER_CONFIG)
    parser.add_argument('--images', type=int, default=10000)
    parser.add_argument('--size', default='640x480')
    parser.add_argument('--rounds', type=int, default=None, help='default: 5 (finite), 3 (decode)')
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        cases = finite_cases(args.config) if args.what == 'finite' else decode_cases(args.images, args.size, folder)
        medians = interleaved(cases, args.rounds or (5 if args.what == 'finite' else 3))
    base = list(medians.values())[-1] if args.what == 'finite' else list(medians.values())[0]
    print(f'\n| case | median s | ratio |\n|---|---|---|')
    for name, seconds in medians.items():
        print(f'| {name} | {seconds:.3f} | {seconds / base:.2f} |')
    print(f'\nload average {os.getloadavg()[0]:.2f}, {os.cpu_count()} CPUs')
    return 0


if __name__ == '__main__':
    sys.exit(main())
