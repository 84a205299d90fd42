"""mmcv's ``nms`` and ``RoIAlign`` on the device through whichever ``mmcv._ext`` serves them, against torchvision.

With mmcv's compiled ops the two are independent kernels; with mmvitdet's stand-in (mmcv-lite) this checks the
wiring on the device: tensors stay there, shapes, in-place outputs and gradients.
"""
from typing import Dict

import torch


def check(device: str, num_boxes: int = 300, seed: int = 0) -> Dict:
    """Run both ops forward (and RoIAlign backward) on ``device``; raise if they disagree with torchvision."""
    import torchvision
    from mmcv.ops import RoIAlign, get_compiling_cuda_version, nms
    from mmvitdet.ops import mmcv_ops_backend
    dev = torch.device(device)
    gen = torch.Generator().manual_seed(seed)
    xy = torch.rand(num_boxes, 2, generator=gen) * 200
    wh = torch.rand(num_boxes, 2, generator=gen) * 60 + 4
    boxes = torch.cat([xy, xy + wh], dim=1).to(dev)
    scores = torch.rand(num_boxes, generator=gen).to(dev)
    dets, keep = nms(boxes, scores, 0.5)
    reference = torchvision.ops.nms(boxes, scores, 0.5)
    if keep.device.type != dev.type:
        raise RuntimeError(f'mmcv nms returned {keep.device} indices for {dev} boxes')
    if keep.tolist() != reference.tolist():
        raise RuntimeError(f'mmcv nms kept {keep.numel()} boxes, torchvision {reference.numel()} (IoU 0.5)')

    feat = torch.randn(2, 16, 64, 64, generator=gen).to(dev).requires_grad_()
    idx = torch.randint(0, 2, (64, 1), generator=gen).float().to(dev)
    rois = torch.cat([idx, boxes[:64] / 4], dim=1)
    ours = RoIAlign((7, 7), spatial_scale=0.25, sampling_ratio=0, aligned=True)(feat, rois)
    (grad_ours, ) = torch.autograd.grad(ours.square().sum(), feat)
    ref = torchvision.ops.roi_align(feat, rois, (7, 7), spatial_scale=0.25, sampling_ratio=0, aligned=True)
    (grad_ref, ) = torch.autograd.grad(ref.square().sum(), feat)
    fwd_err = (ours - ref).abs().max().item()
    bwd_err = (grad_ours - grad_ref).abs().max().item()
    if fwd_err > 1e-4 or bwd_err > 1e-3:
        raise RuntimeError(f'mmcv RoIAlign differs from torchvision: forward {fwd_err:.2e}, backward {bwd_err:.2e}')
    cuda = get_compiling_cuda_version()
    backend = mmcv_ops_backend()
    if backend == 'compiled mmcv':
        backend = f'mmcv ops compiled with CUDA {cuda}' if cuda != 'not available' else 'mmcv ops compiled for CPU only'
    return dict(device=str(dev), mmcv_ext=backend,
                nms_kept=keep.numel(), roi_align_max_err=fwd_err, roi_align_grad_max_err=bwd_err)
