"""Resample backbone taps from one stride to another (e.g. a patch-14 ViT to the stride-16 pyramid)."""
from typing import Sequence, Tuple

import torch
import torch.nn.functional as F
from mmengine.model import BaseModule

from mmdet.registry import MODELS

MODES = ('bilinear', 'bicubic', 'nearest')


@MODELS.register_module()
class StrideResample(BaseModule):
    """Resample every tap from ``in_stride`` to ``out_stride`` pixels per cell.

    A patch-14 ViT on a 1024-px input (padded to 1036 = 74 x 14) gives 74x74 maps of
    stride 14; the paper's pyramid, FPN and anchors expect stride 16 (64x64). Output
    cell j samples the input at pixel centre ``out_stride * (j + 0.5)``, i.e. at token
    coordinate ``(j + 0.5) * out_stride / in_stride - 0.5`` (half-pixel convention), so
    both grids stay aligned to the image. No parameters.

    Args:
        in_stride: stride of the taps in pixels (the ViT's patch size).
        out_stride: stride wanted in pixels (16 for the paper's pyramid).
        mode: 'bilinear' | 'bicubic' | 'nearest'.

    Forward: tuple of [B, C, h, w] -> tuple of [B, C, floor(h * in / out), floor(w * in / out)].
    """

    def __init__(self, in_stride: int = 14, out_stride: int = 16, mode: str = 'bilinear',
                 init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        if not (in_stride > 0 and out_stride > 0):
            raise ValueError(f'StrideResample: in_stride={in_stride} and out_stride={out_stride} '
                             'must be positive numbers of pixels.')
        if mode not in MODES:
            raise ValueError(f'StrideResample: mode={mode!r} is unknown: choose one of {MODES}.')
        self.in_stride, self.out_stride, self.mode = in_stride, out_stride, mode

    def forward(self, feats: Sequence[torch.Tensor]) -> Tuple[torch.Tensor, ...]:
        if self.in_stride == self.out_stride:
            return tuple(feats)
        scale = self.in_stride / self.out_stride
        extra = {} if self.mode == 'nearest' else dict(align_corners=False)
        # recompute_scale_factor=False: sample with ``scale`` itself, not with
        # out_size / in_size, which would shift the grid by up to a cell.
        return tuple(
            F.interpolate(x, scale_factor=scale, mode=self.mode, recompute_scale_factor=False, **extra)
            for x in feats)
