"""Sizes of the two runs: the GPU check at the paper's size, and the dry run (same code path, tiny, on CPU)."""
from dataclasses import dataclass, field
from typing import Dict, Optional, Tuple

VIT_B = 'configs/mae/mask-rcnn_vit-b-mae_fpn_lsj-100e_coco.py'
VIT_L = 'configs/mae/mask-rcnn_vit-l-mae_fpn_lsj-100e_coco.py'
VIT_B_FROZEN = 'configs/mae/mask-rcnn_vit-b-mae-frozen_fpn_lsj-36e_coco.py'  # the same detector, backbone frozen
TINY_WIDTH = 96
# The dry run's backbone: the paper's ViT with 4 blocks of width 96 (2 global), taps after each.
TINY_VIT = {
    'model.backbone.arch': dict(_delete_=True, embed_dims=TINY_WIDTH, num_layers=4, num_heads=2, mlp_ratio=4),
    'model.backbone.global_attn_indices': (1, 3),
    'model.backbone.out_indices': (0, 1, 2, 3),
    'model.neck.0.in_channels': TINY_WIDTH,
    'model.neck.1.in_channels': [TINY_WIDTH] * 4,
    # fewer RoIs through the 256-channel box and mask heads (512 per image, 100 detections at test time)
    'model.train_cfg.rcnn.sampler.num': 32,
    'model.test_cfg.rcnn.max_per_img': 8,
}


@dataclass
class Plan:
    """What each phase runs at. ``budget``: seconds for all phases together (None: no shared budget);
    ``timeout_scale`` multiplies each phase's own limit."""
    device: str
    img_size: int
    cfg_options: Dict = field(default_factory=dict)
    batch_size: int = 2  # the paper: 2 images per GPU (batch 64 on 32 GPUs)
    warmup: int = 3
    iters: int = 10
    large_warmup: int = 2
    large_iters: int = 6
    infer_hw: Tuple[int, int] = (768, 1024)  # a 4:3 image resized to longer side 1024, padded to 1024x1024
    infer_images: int = 2
    backbone_arch: str = 'base'
    backbone_img: int = 1024
    backbone_warmup: int = 2
    backbone_iters: int = 5
    sdpa_iters: int = 10
    dist_iters: int = 5
    dist_images: int = 4
    matmul_size: int = 8192
    budget: Optional[float] = 540.0
    timeout_scale: float = 1.0
    timeouts: Dict[str, float] = field(default_factory=dict)

    def timeout(self, phase: str, default: float) -> float:
        return self.timeouts.get(phase, default * self.timeout_scale)


def gpu_plan() -> Plan:
    """The paper's sizes; the budget leaves a minute of a 10-minute device call for start-up and transfers."""
    return Plan(device='cuda', img_size=1024)


def dry_run_plan() -> Plan:
    """The same phases on CPU at 64 px with a 4-block backbone: minutes become seconds.

    It proves the path, not a speed: no shared budget, and each phase may take 3x its GPU limit, so that a loaded
    machine (most of the time is importing torch and mmdet in fresh processes) does not fail it."""
    return Plan(device='cpu', img_size=64, cfg_options=dict(TINY_VIT), warmup=1, iters=2, large_warmup=1,
                large_iters=1, infer_hw=(48, 64), infer_images=2, backbone_img=64, backbone_warmup=1,
                backbone_iters=1, sdpa_iters=2, dist_iters=2, dist_images=2, matmul_size=256, budget=None,
                timeout_scale=3.0)


def tiny_note(plan: Plan) -> Optional[str]:
    return (f'dry run: CPU, {plan.img_size} px, backbone of 4 blocks of width {TINY_WIDTH}'
            if plan.cfg_options else None)
