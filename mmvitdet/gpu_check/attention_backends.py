"""Which ``scaled_dot_product_attention`` backend the backbone's window and global blocks get with the additive
relative-position bias, and what each backend costs for those shapes (forward + backward).

The backend is read off a profile of the real backbone (the aten op SDPA dispatches to under each call), then
every backend is forced in turn with ``torch.nn.attention.sdpa_kernel`` on tensors of the same shapes and dtype,
the bias requiring grad as the learned relative tables do.
"""
import statistics
from typing import Dict, List, Tuple

import torch
from torch.nn.attention import SDPBackend, sdpa_kernel

from mmvitdet.analysis.measure import time_calls

BACKENDS = {
    'flash': SDPBackend.FLASH_ATTENTION,
    'memory-efficient': SDPBackend.EFFICIENT_ATTENTION,
    'cudnn': SDPBackend.CUDNN_ATTENTION,
    'math': SDPBackend.MATH,
}
# aten ops SDPA dispatches to -> backend (the CPU's fused kernel is a flash variant)
DISPATCH_OPS = {
    'aten::_scaled_dot_product_flash_attention_for_cpu': 'flash (CPU)',
    'aten::_scaled_dot_product_flash_attention': 'flash',
    'aten::_scaled_dot_product_efficient_attention': 'memory-efficient',
    'aten::_scaled_dot_product_cudnn_attention': 'cudnn',
    'aten::_scaled_dot_product_attention_math': 'math',
    'aten::_scaled_dot_product_fused_attention_overrideable': 'overrideable',
}


def backend_of(op_names: List[str]) -> str:
    """The backend named by the first dispatch op among ``op_names`` (the children of one SDPA call)."""
    for name in op_names:
        if name in DISPATCH_OPS:
            return DISPATCH_OPS[name]
    return 'math' if any(n in ('aten::softmax', 'aten::_softmax', 'aten::baddbmm', 'aten::bmm')
                         for n in op_names) else 'unknown'


def _descendants(event) -> List[str]:
    names = []
    for child in event.cpu_children:
        names.append(child.name)
        names += _descendants(child)
    return names


def profile_dispatch(model: torch.nn.Module, images: torch.Tensor, dtype) -> Dict[Tuple, str]:
    """``{(q shape, mask shape, q dtype): backend}`` for the SDPA calls of one forward of ``model``."""
    from torch.profiler import ProfilerActivity, profile
    found = {}
    with profile(activities=[ProfilerActivity.CPU], record_shapes=True) as prof:
        with torch.autocast(images.device.type, dtype=dtype, enabled=dtype is not None):
            model(images)
    for event in prof.events():
        if event.name == 'aten::scaled_dot_product_attention':
            shapes = event.input_shapes
            key = (tuple(shapes[0]), tuple(shapes[3]) if len(shapes) > 3 and shapes[3] else ())
            found.setdefault(key, backend_of(_descendants(event)))
    return found


def time_backend(name: str, q_shape, mask_shape, dtype, device: torch.device, iters: int) -> float:
    """Median ms of forward + backward of SDPA on random tensors of these shapes, ``name`` forced
    ('default': SDPA chooses)."""
    gen = torch.Generator(device=device).manual_seed(0)
    q, k, v = (torch.randn(q_shape, device=device, dtype=dtype, generator=gen).requires_grad_() for _ in range(3))
    bias = (torch.randn(mask_shape, device=device, dtype=dtype, generator=gen).requires_grad_()
            if mask_shape else None)
    grad = torch.randn(q_shape, device=device, dtype=dtype, generator=gen)

    def step():
        out = torch.nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=bias)
        out.backward(grad)

    if name == 'default':
        times = time_calls(step, device, warmup=2, iters=iters)
    else:
        with sdpa_kernel([BACKENDS[name]]):
            times = time_calls(step, device, warmup=2, iters=iters)
    return 1000 * statistics.median(times)


def measure(arch: str, img_size: int, device: str, iters: int = 10) -> Dict:
    """The hybrid backbone of the paper's detector (rel. bias shared across blocks), fp16 autocast on CUDA."""
    from mmvitdet.analysis.backbone_benchmark import BenchSpec, build_backbone
    dev = torch.device(device)
    amp_dtype = torch.float16 if dev.type == 'cuda' else None
    model = build_backbone(BenchSpec(variant='ours-hybrid', arch=arch, img_size=img_size, rel_pos=True)).to(dev)
    model.train()
    images = torch.randn(1, 3, img_size, img_size, device=dev)
    dispatch = profile_dispatch(model, images, amp_dtype)
    blocks = []
    for (q_shape, mask_shape), backend in sorted(dispatch.items(), key=lambda kv: -kv[0][0][0]):
        block = 'global' if q_shape[2] == (img_size // 16)**2 else 'window'  # global: every token of the grid
        entry = dict(block=block, q_shape=list(q_shape), mask_shape=list(mask_shape), default_backend=backend,
                     ms={}, errors={})
        dtype = amp_dtype or torch.float32
        for name in ['default'] + list(BACKENDS):
            try:
                entry['ms'][name] = time_backend(name, q_shape, mask_shape, dtype, dev, iters)
            except (RuntimeError, NotImplementedError, ValueError) as e:  # "No available kernel", absent backend
                entry['errors'][name] = str(e).strip().splitlines()[0][:200]
        blocks.append(entry)
    fused = {b['block']: min((b['ms'][n], n) for n in ('flash', 'memory-efficient', 'cudnn') if n in b['ms'])
             for b in blocks if any(n in b['ms'] for n in ('flash', 'memory-efficient', 'cudnn'))}
    notes = []
    for b in blocks:
        if b['default_backend'] == 'math' and b['block'] in fused:
            ms, name = fused[b['block']]
            notes.append(f"{b['block']} blocks run the math path although {name} accepts this bias: "
                         f"{b['ms']['math']:.2f} vs {ms:.2f} ms")
    return dict(arch=arch, img_size=img_size, dtype=str(amp_dtype or torch.float32).replace('torch.', ''),
                backends=['default'] + list(BACKENDS), blocks=blocks, note='; '.join(notes))
