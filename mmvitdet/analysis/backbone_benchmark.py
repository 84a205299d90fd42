"""Forward+backward time, peak memory and FLOPs of ViT backbone variants, side by side.

Each variant runs in a fresh subprocess (so that CPU peak memory is its own), and the
variants are interleaved over several rounds, so slow phases of a noisy machine hit all of
them alike; the reported time is the median over rounds of each round's median.
"""
import json
import statistics
import sys
from dataclasses import asdict, dataclass, field
from typing import Dict, List, Optional

import torch

from .measure import count_flops, peak_memory, run_in_fresh_process, time_calls

VARIANTS = {
    # name: (implementation, ViT overrides)
    'ours-hybrid': ('ours', dict()),
    'ours-hybrid-cp': ('ours', dict(with_cp=True)),
    'ours-global': ('ours', dict(window_size=0)),
    'ours-global-cp': ('ours', dict(window_size=0, with_cp=True)),
    'mmpretrain-global': ('mmpretrain', dict()),
    # the paper's layout with each relative position kind (whatever --rel-pos says)
    'ours-hybrid-rel-shared': ('ours', dict(use_rel_pos_bias='shared')),
    'ours-hybrid-rel-per-block': ('ours', dict(use_rel_pos_bias='per_block')),
    'ours-hybrid-rel-decomposed': ('ours', dict(use_rel_pos_bias='decomposed')),
    # the paper's layout (shared relative tables) with a 2-D RoPE on q and k in every block: DINOv3's
    # half rotation, EVA-02's interleaved pairs, and window blocks at whole-image coordinates (per-window tables)
    'ours-hybrid-rel-shared-rope-half': ('ours', dict(use_rel_pos_bias='shared', rope=dict(base=100))),
    'ours-hybrid-rel-shared-rope-interleaved': ('ours', dict(use_rel_pos_bias='shared', rope=dict(
        base=10000, coords='index', rotation='interleaved'))),
    'ours-hybrid-rel-shared-rope-image-coords': ('ours', dict(use_rel_pos_bias='shared', rope=dict(
        base=100, window_coords='image'))),
}


@dataclass
class BenchSpec:
    """One measurement: a backbone variant at an input size on a device."""
    variant: str
    arch: str = 'base'
    img_size: int = 1024
    batch_size: int = 1
    rel_pos: bool = False
    device: str = 'cpu'
    amp: bool = False
    warmup: int = 1
    iters: int = 2


@dataclass
class BenchResult:
    spec: BenchSpec
    times: List[float] = field(default_factory=list)  # seconds per fwd+bwd, one per round
    peak_bytes: List[float] = field(default_factory=list)
    flops: Optional[int] = None  # fwd+bwd FLOPs of one batch

    @property
    def median_time(self) -> float:
        return statistics.median(self.times)

    @property
    def median_peak(self) -> float:
        return statistics.median(self.peak_bytes)


def build_backbone(spec: BenchSpec) -> torch.nn.Module:
    """The backbone of a variant; all variants share width, depth and output taps."""
    from mmvitdet.models import ViT
    from mmvitdet.models.backbones.vit import ARCH_SETTINGS, default_quarter_indices
    impl, overrides = VARIANTS[spec.variant]
    arch = ARCH_SETTINGS[spec.arch]
    taps = list(default_quarter_indices(arch['num_layers']))
    if impl == 'mmpretrain':
        from mmpretrain.models import VisionTransformer
        return VisionTransformer(
            arch=dict(embed_dims=arch['embed_dims'], num_layers=arch['num_layers'],
                      num_heads=arch['num_heads'],
                      feedforward_channels=arch['embed_dims'] * arch['mlp_ratio']),
            img_size=spec.img_size, patch_size=16, out_indices=taps,
            with_cls_token=False, out_type='featmap', final_norm=False)
    kwargs = dict(arch=spec.arch, img_size=spec.img_size, out_indices=taps,
                  use_rel_pos_bias='shared' if spec.rel_pos else False)
    kwargs.update(overrides)
    return ViT(**kwargs)


def _step_fn(model, images, amp: bool):
    device_type = images.device.type

    def step():
        if amp:
            dtype = torch.bfloat16 if device_type == 'cpu' else torch.float16
            with torch.autocast(device_type, dtype=dtype):
                outs = model(images)
        else:
            outs = model(images)
        loss = sum(o.float().mean() for o in outs)
        loss.backward()
        model.zero_grad(set_to_none=True)

    return step


def measure_in_process(spec: BenchSpec) -> Dict[str, float]:
    """Time and peak memory of one variant in this process (call in a fresh process)."""
    device = torch.device(spec.device)
    torch.manual_seed(0)
    model = build_backbone(spec).to(device)
    model.train()  # mmpretrain's train() returns None
    images = torch.randn(spec.batch_size, 3, spec.img_size, spec.img_size, device=device)
    step = _step_fn(model, images, spec.amp)
    result: Dict[str, float] = {}
    with peak_memory(device, result):
        times = time_calls(step, device, spec.warmup, spec.iters)
    result['time'] = statistics.median(times)
    return result


def count_variant_flops(spec: BenchSpec) -> int:
    """fwd+bwd FLOPs of one batch, counted on the meta device (nothing is computed)."""
    with torch.device('meta'):
        model = build_backbone(spec)
        images = torch.randn(spec.batch_size, 3, spec.img_size, spec.img_size)
    model.train()
    return count_flops(_step_fn(model, images, amp=False))


def run_subprocess(spec: BenchSpec) -> Dict[str, float]:
    return run_in_fresh_process('mmvitdet.analysis.backbone_benchmark', asdict(spec),
                                f'benchmark of {spec.variant}')


def run_benchmark(specs: List[BenchSpec], rounds: int, log=print) -> List[BenchResult]:
    """Measure every spec ``rounds`` times, interleaved, each run in a fresh process."""
    results = [BenchResult(spec) for spec in specs]
    for res in results:
        res.flops = count_variant_flops(res.spec)
    for r in range(rounds):
        for res in results:
            out = run_subprocess(res.spec)
            res.times.append(out['time'])
            res.peak_bytes.append(out['peak_bytes'])
            log(f'round {r + 1}/{rounds} {res.spec.variant}: {out["time"]:.3f} s, '
                f'{out["peak_bytes"] / 2**30:.2f} GiB')
    return results


def format_table(results: List[BenchResult], gemm_flops_per_s: float) -> str:
    """Markdown table with ratios to the first row and the fraction of the GEMM rate."""
    base = results[0]
    bs = base.spec.batch_size
    lines = [
        f'device GEMM rate: {gemm_flops_per_s / 1e9:.1f} GFLOP/s (fp32 2048^3, median)',
        '',
        '| variant | s/img fwd+bwd | time ratio | peak GiB/img | mem ratio | GFLOP/img fwd+bwd '
        '| GFLOP/s | % of GEMM |',
        '|---|---|---|---|---|---|---|---|',
    ]
    for res in results:
        rate = res.flops / res.median_time
        lines.append(
            f'| {res.spec.variant} | {res.median_time / bs:.3f} | '
            f'{res.median_time / base.median_time:.3f} | {res.median_peak / bs / 2**30:.2f} | '
            f'{res.median_peak / base.median_peak:.3f} | {res.flops / bs / 1e9:.1f} | '
            f'{rate / 1e9:.1f} | {100 * rate / gemm_flops_per_s:.0f}% |')
    return '\n'.join(lines)


if __name__ == '__main__':  # child process: measure one spec, print json
    print(json.dumps(measure_in_process(BenchSpec(**json.loads(sys.argv[1])))))
