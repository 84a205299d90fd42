"""Training and inference cost of whole detectors, one config per fresh process (the paper's Table 3).

Per config: training seconds/iteration (the Runner's ``train_step``: data preprocessing,
forward, loss, backward, optimizer step with the config's optim wrapper), inference
seconds/image (``test_step``: preprocessing, prediction, mask pasting), the peak memory of
each, parameters and FLOPs, on synthetic inputs at the configured (or rewritten) input size.
Each (config, mode) runs in its own process so CPU peak memory is its own; configs are
interleaved over rounds so a noisy machine slows all of them alike; times are medians.
"""
import json
import statistics
import sys
from dataclasses import asdict, dataclass, field
from typing import Dict, List, Optional

import torch

from .measure import count_flops, peak_memory, run_in_fresh_process, time_calls

MODES = ('train', 'infer')


@dataclass
class CostSpec:
    """One measurement: a config in one mode on one device.

    ``img_size``: square input in pixels (None: as configured). ``score_thr``: the box
    score threshold at test time; 0 (default) makes every image send ``max_per_img``
    detections through the mask head, as a trained model does on COCO (a randomly
    initialized one scores below the usual 0.05 and would skip the mask head); None keeps
    the config's. ``amp``: None trains with the config's optim wrapper (AMP in the paper's
    configs) and infers in fp32; True / False force mixed precision (fp16 autocast) on or
    off for both. On CPU training is fp32 whatever ``amp`` says, as in tools/train.py
    (mmengine's AmpOptimWrapper needs CUDA).
    """
    config: str
    mode: str = 'train'
    img_size: Optional[int] = None
    cfg_options: Dict = field(default_factory=dict)
    device: str = 'cpu'
    amp: Optional[bool] = None
    batch_size: int = 1
    num_gt: int = 20
    warmup: int = 2
    iters: int = 5
    count_flops: bool = False
    score_thr: Optional[float] = 0.0
    seed: int = 0


AMP_WRAPPER = 'AmpOptimWrapper'


def load_cost_config(spec: CostSpec):
    """The config of ``spec`` with its options, input size, precision and score threshold.

    Returns (config, list of the changes made to it, as text).
    """
    from mmengine.config import Config

    from ..engine.launch_config import amp_to_fp32
    from .input_size import configured_input_size, rewrite_input_size
    cfg = Config.fromfile(spec.config)
    if spec.cfg_options:
        cfg.merge_from_dict(spec.cfg_options)
    changes = []
    if spec.img_size is not None:
        changes = rewrite_input_size(cfg, spec.img_size, spec.config)
    configured_input_size(cfg, spec.config)
    wrapper = cfg.optim_wrapper
    on_cpu = torch.device(spec.device).type == 'cpu'
    if on_cpu or spec.amp is False:
        # the launch tools' fallback: mmengine's AmpOptimWrapper needs CUDA
        change = amp_to_fp32(cfg)
        if change is not None:
            changes.append(change[:-1] + (', no CUDA)' if on_cpu else ', --no-amp)'))
    elif spec.amp and wrapper.get('type') != AMP_WRAPPER:
        changes.append(f'optim_wrapper: {wrapper.get("type")} -> {AMP_WRAPPER} (--amp)')
        wrapper.type = AMP_WRAPPER
        wrapper.setdefault('loss_scale', 'dynamic')
    rcnn = cfg.model.get('test_cfg', {}).get('rcnn')
    if spec.score_thr is not None and rcnn is not None and rcnn.get('score_thr') != spec.score_thr:
        changes.append(f'model.test_cfg.rcnn.score_thr: {rcnn.get("score_thr")} -> {spec.score_thr}')
        rcnn.score_thr = spec.score_thr
    return cfg, changes


def build_detector(cfg, device: torch.device) -> torch.nn.Module:
    """The detector of ``cfg`` on ``device``, weights as constructed (no checkpoint is read).

    SyncBN becomes BN, as the mmengine Runner does in a non-distributed process.
    """
    from mmengine.model import revert_sync_batchnorm
    from mmengine.registry import MODELS, init_default_scope
    init_default_scope(cfg.get('default_scope', 'mmdet'))
    model = revert_sync_batchnorm(MODELS.build(cfg.model))
    return model.to(device)


def _num_classes(model) -> int:
    head = getattr(getattr(model, 'roi_head', None), 'bbox_head', None)
    if isinstance(head, torch.nn.ModuleList) and len(head):  # Cascade: one box head per stage
        head = head[0]
    if head is None or not hasattr(head, 'num_classes'):
        raise ValueError('cost benchmark: the model has no roi_head.bbox_head.num_classes; it '
                         'measures two-stage detectors such as Mask R-CNN.')
    return head.num_classes


def _train_step_fn(model, cfg, batch: dict):
    from mmengine.optim import build_optim_wrapper

    from .synthetic_batch import clone_batch
    optim_wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    model.train()

    def step():
        model.train_step(clone_batch(batch), optim_wrapper)

    return step


def _infer_step_fn(model, spec: CostSpec, batch: dict):
    from .synthetic_batch import clone_batch
    model.eval()
    device_type = torch.device(spec.device).type
    def step():
        # fp32 on CPU, like training (see CostSpec.amp)
        with torch.no_grad(), torch.autocast(device_type, dtype=torch.float16,
                                             enabled=bool(spec.amp) and device_type == 'cuda'):
            model.test_step(clone_batch(batch))

    return step


def measure_in_process(spec: CostSpec) -> Dict[str, float]:
    """Seconds per step (median), peak bytes, parameters and FLOPs (call in a fresh process)."""
    from .input_size import configured_input_size
    from .synthetic_batch import make_batch
    if spec.mode not in MODES:
        raise ValueError(f'CostSpec.mode={spec.mode!r}: choose one of {MODES}.')
    device = torch.device(spec.device)
    torch.manual_seed(spec.seed)
    cfg, _ = load_cost_config(spec)
    model = build_detector(cfg, device)
    batch = make_batch(spec.batch_size, configured_input_size(cfg), spec.num_gt,
                       _num_classes(model), spec.seed)
    if spec.mode == 'train':
        step = _train_step_fn(model, cfg, batch)
    else:
        step = _infer_step_fn(model, spec, batch)
    result: Dict[str, float] = {}
    with peak_memory(device, result):
        times = time_calls(step, device, spec.warmup, spec.iters)
    result['time'] = statistics.median(times)
    from ..ops import mmcv_ops_backend
    result['mmcv_ops'] = mmcv_ops_backend()
    result['params'] = sum(p.numel() for p in model.parameters())
    result['backbone_params'] = sum(p.numel() for p in model.backbone.parameters())
    if spec.count_flops:
        # FLOPs of torch's matmuls/convs/attention; mmcv's RoIAlign and NMS are not counted
        # (a small share of a Mask R-CNN).
        result['flops'] = count_flops(step)
    return result


def run_subprocess(spec: CostSpec, env: Optional[Dict[str, str]] = None) -> Dict[str, float]:
    return run_in_fresh_process('mmvitdet.analysis.cost_benchmark', asdict(spec),
                                f'cost benchmark of {spec.config} ({spec.mode})', env=env)


@dataclass
class CostResult:
    """All rounds of one config: per mode, the per-round median times and peaks."""
    name: str
    specs: Dict[str, CostSpec]
    times: Dict[str, List[float]] = field(default_factory=lambda: {m: [] for m in MODES})
    peak_bytes: Dict[str, List[float]] = field(default_factory=lambda: {m: [] for m in MODES})
    flops: Dict[str, int] = field(default_factory=dict)  # per batch
    params: int = 0
    backbone_params: int = 0

    def time(self, mode: str) -> float:
        return statistics.median(self.times[mode])

    def peak(self, mode: str) -> float:
        return statistics.median(self.peak_bytes[mode])


def run_cost_benchmark(specs: Dict[str, Dict[str, CostSpec]], rounds: int,
                       log=print, measure=run_subprocess) -> List[CostResult]:
    """Measure ``{name: {mode: spec}}`` over ``rounds`` interleaved rounds, in insertion order.

    FLOPs are counted in the first round only (they do not change).
    """
    results = [CostResult(name, by_mode) for name, by_mode in specs.items()]
    for r in range(rounds):
        for res in results:
            for mode, spec in res.specs.items():
                spec.count_flops = r == 0
                out = measure(spec)
                res.times[mode].append(out['time'])
                res.peak_bytes[mode].append(out['peak_bytes'])
                res.params, res.backbone_params = out['params'], out['backbone_params']
                if 'flops' in out:
                    res.flops[mode] = out['flops']
                log(f'round {r + 1}/{rounds} {res.name} {mode}: {out["time"]:.3f} s, '
                    f'{out["peak_bytes"] / 2**30:.2f} GiB')
    return results


if __name__ == '__main__':  # child process: measure one spec, print json
    from mmengine.logging import MMLogger

    import mmvitdet  # noqa: F401  registration
    MMLogger.get_instance('mmengine', log_level='WARNING')  # quiet optimizer set-up
    print(json.dumps(measure_in_process(CostSpec(**json.loads(sys.argv[1])))))
