"""ViTDet's simple feature pyramid: every level from the last ViT block."""
from typing import Sequence, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmcv.cnn import ConvModule
from mmengine.model import BaseModule

from mmdet.registry import MODELS
from .resolution_adapter import SUPPORTED_SCALES, build_rescale, rescale_out_channels


@MODELS.register_module()
class SimpleFeaturePyramid(BaseModule):
    """Li et al. 2022 (ViTDet): rescale the last tap, then 1x1 + 3x3 conv per level.

    Args:
        in_channels: ViT width.
        out_channels: pyramid width (256).
        scale_factors: (4, 2, 1, 0.5) -> strides 4, 8, 16, 32.
        num_outs: number of outputs; one more than the scales adds a level
            max-pooled (kernel 1, stride 2) from the coarsest one (stride 64).
        norm_cfg: norm in the 4x module and after each conv (ViTDet: LayerNorm
            over channels, ``mmpretrain.LN2d``; needs mmpretrain.models
            imported, which ``import mmvitdet`` does).
        narrow_branches: the upsampling branches halve the width at each
            deconv (4x ends at C/4, 2x at C/2) before the 1x1 conv, as
            detectron2 builds ViTDet (ViT-B Mask R-CNN 110.85 M parameters);
            False keeps C in every branch.

    Forward: tuple of ViT taps (only the last is used) -> tuple of
    [B, out_channels, h * s, w * s] maps, finest first.
    """

    def __init__(self,
                 in_channels: int = 768,
                 out_channels: int = 256,
                 scale_factors: Sequence[float] = SUPPORTED_SCALES,
                 num_outs: int = 5,
                 norm_cfg: dict = dict(type='mmpretrain.LN2d', eps=1e-6),
                 narrow_branches: bool = False,
                 init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        if num_outs not in (len(scale_factors), len(scale_factors) + 1):
            raise ValueError(
                f'SimpleFeaturePyramid num_outs={num_outs} must be '
                f'len(scale_factors)={len(scale_factors)} or one more.')
        self.num_outs = num_outs
        self.rescales = nn.ModuleList(
            [build_rescale(float(s), in_channels, norm_cfg, narrow_branches)
             for s in scale_factors])
        self.lateral_convs = nn.ModuleList([
            ConvModule(rescale_out_channels(float(s), in_channels, narrow_branches), out_channels, 1,
                       norm_cfg=norm_cfg, act_cfg=None) for s in scale_factors
        ])
        self.output_convs = nn.ModuleList([
            ConvModule(out_channels, out_channels, 3, padding=1,
                       norm_cfg=norm_cfg, act_cfg=None)
            for _ in scale_factors
        ])

    def forward(self, inputs: Sequence[torch.Tensor]) -> Tuple[torch.Tensor]:
        x = inputs[-1]
        outs = [
            out_conv(lateral(rescale(x))) for rescale, lateral, out_conv in
            zip(self.rescales, self.lateral_convs, self.output_convs)
        ]
        if self.num_outs > len(outs):
            outs.append(F.max_pool2d(outs[-1], kernel_size=1, stride=2))
        return tuple(outs)
