"""Train iterations and an inference pass of the paper's Mask R-CNN configs on synthetic batches.

Built on the cost benchmark (:mod:`mmvitdet.analysis.cost_benchmark`: config loading with the launch tools'
precision rules, the detector as configured with random weights, synthetic batches), adding what a GPU
acceptance run must see: every loss finite, the allocator's absolute peak, the AMP dtype and loss scale.
"""
import math
import statistics
from typing import Dict, List, Optional, Tuple

import torch

from mmvitdet.analysis.cost_benchmark import CostSpec, build_detector, load_cost_config
from mmvitdet.analysis.measure import max_rss_bytes, synchronize, time_calls
from mmvitdet.analysis.synthetic_batch import clone_batch, make_batch

PRECISIONS = {'fp16': 'float16', 'bf16': 'bfloat16', 'fp32': None}


def _reset_peak(device: torch.device) -> None:
    if device.type == 'cuda':
        torch.cuda.synchronize(device)
        torch.cuda.reset_peak_memory_stats(device)


def peak_gib(device: torch.device) -> float:
    """``torch.cuda.max_memory_allocated`` on CUDA; the process's peak resident set on CPU (GiB)."""
    if device.type == 'cuda':
        return torch.cuda.max_memory_allocated(device) / 2**30
    return max_rss_bytes() / 2**30


def _load(config: str, img_size: int, precision: str, device: str, cfg_options: Optional[Dict],
          mode: str) -> Tuple[object, List[str], str]:
    if precision not in PRECISIONS:
        raise ValueError(f'precision={precision!r}: use one of {sorted(PRECISIONS)}')
    spec = CostSpec(config, mode=mode, img_size=img_size, cfg_options=dict(cfg_options or {}), device=device,
                    amp=precision != 'fp32')
    cfg, changes = load_cost_config(spec)
    wrapper = cfg.optim_wrapper
    if wrapper.type == 'AmpOptimWrapper':
        wrapper.dtype = PRECISIONS[precision]
        ran = precision
    else:
        ran = 'fp32'  # on CPU, as tools/train.py falls back
    return cfg, changes, ran


def measure_train(config: str, arch: str, img_size: int, batch_size: int, precision: str, device: str,
                  with_cp: Optional[bool] = None, cfg_options: Optional[Dict] = None, warmup: int = 3,
                  iters: int = 10, num_gt: int = 20, seed: int = 0) -> Dict:
    """Median seconds per training iteration after ``warmup``, images/s, peak memory and the losses."""
    from mmengine.optim import build_optim_wrapper
    dev = torch.device(device)
    torch.manual_seed(seed)
    cfg, changes, ran = _load(config, img_size, precision, device, cfg_options, 'train')
    if with_cp is not None:
        cfg.model.backbone.with_cp = with_cp
    model = build_detector(cfg, dev)
    model.train()
    optim_wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    batch = make_batch(batch_size, (img_size, img_size), num_gt, model.roi_head.bbox_head.num_classes, seed)
    losses: List[Dict[str, float]] = []

    def step():
        log_vars = model.train_step(clone_batch(batch), optim_wrapper)
        losses.append({k: float(v) for k, v in log_vars.items()})

    _reset_peak(dev)
    times = time_calls(step, dev, warmup, iters)
    synchronize(dev)
    s_per_iter = statistics.median(times)
    scaler = getattr(optim_wrapper, 'loss_scaler', None)
    return dict(arch=arch, precision=ran, requested_precision=precision,
                with_cp=bool(cfg.model.backbone.get('with_cp', False)), batch_size=batch_size, img_size=img_size,
                s_per_iter=s_per_iter, img_per_s=batch_size / s_per_iter, iters=iters, warmup=warmup,
                max_allocated_gib=peak_gib(dev),
                losses_finite=all(math.isfinite(v) for step_losses in losses for v in step_losses.values()),
                loss_first=losses[0]['loss'], loss_last=losses[-1]['loss'],
                loss_scale=float(scaler.get_scale()) if scaler is not None and hasattr(scaler, 'get_scale') else None,
                params_m=sum(p.numel() for p in model.parameters()) / 1e6, changes=changes)


def measure_infer(config: str, arch: str, img_hw: Tuple[int, int], num_images: int, precision: str, device: str,
                  cfg_options: Optional[Dict] = None, warmup: int = 1, seed: int = 0) -> Dict:
    """Seconds per image of ``test_step`` (preprocessing with the config's padding, prediction, mask pasting).

    ``img_hw`` is the resized image before padding (the test pipeline's output, longer side 1024); the data
    preprocessor pads it as the config says (the paper: to 1024x1024).
    """
    dev = torch.device(device)
    torch.manual_seed(seed)
    cfg, changes, _ = _load(config, max(img_hw), precision, device, cfg_options, 'infer')
    model = build_detector(cfg, dev)
    model.eval()
    batch = make_batch(1, tuple(img_hw), 1, model.roi_head.bbox_head.num_classes, seed)
    autocast = precision != 'fp32' and dev.type == 'cuda'
    dtype = getattr(torch, PRECISIONS[precision]) if autocast else None
    padded = model.data_preprocessor(clone_batch(batch), False)['inputs'].shape[-2:]
    detections = []

    def step():
        with torch.no_grad(), torch.autocast(dev.type, dtype=dtype, enabled=autocast):
            out = model.test_step(clone_batch(batch))
        detections.append(len(out[0].pred_instances))

    _reset_peak(dev)
    times = time_calls(step, dev, warmup, num_images)
    return dict(arch=arch, precision=precision if autocast else 'fp32', batch_size=1, img_hw=list(img_hw),
                padded_hw=list(padded), s_per_img=statistics.median(times), images=num_images,
                detections_per_img=detections[-1], max_allocated_gib=peak_gib(dev), changes=changes)


def measure_backbones(variants: List[str], arch: str, img_size: int, device: str, amp: bool, warmup: int = 2,
                      iters: int = 5) -> Dict:
    """Attention layouts of the backbone alone (fwd+bwd of one image each), via the backbone benchmark.

    One process for all layouts: on CUDA the allocator's peak is reset between them; a layout that runs out of
    memory is recorded as such and the next one runs.
    """
    from mmvitdet.analysis.backbone_benchmark import BenchSpec, count_variant_flops, measure_in_process
    dev = torch.device(device)
    rows = []
    for variant in variants:
        spec = BenchSpec(variant=variant, arch=arch, img_size=img_size, rel_pos=True, device=device,
                         amp=amp and dev.type == 'cuda', warmup=warmup, iters=iters)
        row = dict(variant=variant, amp='fp16' if spec.amp else 'fp32')
        _reset_peak(dev)
        try:
            out = measure_in_process(spec)
        except torch.OutOfMemoryError as e:
            row.update(status='oom', max_allocated_gib=peak_gib(dev), error=str(e).splitlines()[0][:200])
        else:
            flops = count_variant_flops(spec)
            row.update(status='ok', s_per_img=out['time'], gflop_per_img=flops / 1e9, flops_per_s=flops / out['time'],
                       max_allocated_gib=peak_gib(dev))
        rows.append(row)
        if dev.type == 'cuda':
            torch.cuda.empty_cache()
    return dict(arch=arch, img_size=img_size, rel_pos_bias='shared', rows=rows)
