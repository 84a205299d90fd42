"""The paper's resolution-modifying modules: four stride-16 taps -> strides 4, 8, 16, 32."""
from typing import List, Sequence, Tuple, Union

import torch
import torch.nn as nn
from mmcv.cnn import build_norm_layer
from mmengine.model import BaseModule

from mmdet.registry import MODELS

SUPPORTED_SCALES = (4.0, 2.0, 1.0, 0.5)


def rescale_out_channels(scale: float, channels: int, narrow: bool) -> int:
    """Output width of :func:`build_rescale`: C, or with ``narrow`` C/4 at 4x and C/2 at 2x."""
    if narrow and scale in (4.0, 2.0):
        return channels // int(scale)
    return channels


def build_rescale(scale: float, channels: int, norm_cfg: dict, narrow: bool = False) -> nn.Module:
    """One resolution-modifying module of input width ``channels``.

    4x: deconv 2x2/2 -> norm -> GELU -> deconv 2x2/2; 2x: one deconv 2x2/2;
    1x: identity; 0.5x: max-pool 2x2/2 (Li et al. 2021, Sec. "Architecture").
    The paper keeps the width C throughout; ``narrow`` halves it at each
    deconv (C -> C/2 -> C/4 at 4x, C -> C/2 at 2x), as detectron2's ViTDet
    simple feature pyramid does.
    """
    half = channels // 2 if narrow else channels
    if scale == 4.0:
        return nn.Sequential(
            nn.ConvTranspose2d(channels, half, 2, stride=2),
            build_norm_layer(norm_cfg, half)[1], nn.GELU(),
            nn.ConvTranspose2d(half, rescale_out_channels(scale, channels, narrow), 2, stride=2))
    if scale == 2.0:
        return nn.ConvTranspose2d(channels, half, 2, stride=2)
    if scale == 1.0:
        return nn.Identity()
    if scale == 0.5:
        return nn.MaxPool2d(kernel_size=2, stride=2)
    raise ValueError(f'scale factor {scale} is not supported: choose from '
                     f'{SUPPORTED_SCALES}.')


@MODELS.register_module()
class ResolutionAdapter(BaseModule):
    """Map the ViT's stride-16 taps to a feature pyramid (one module per tap).

    Args:
        in_channels: ViT width (int, or one per tap). Output widths are equal
            to the input widths; an FPN follows.
        scale_factors: one per tap, shallowest tap first; (4, 2, 1, 0.5)
            gives strides 4, 8, 16, 32.
        norm_cfg: norm inside the 4x module (paper: GroupNorm).

    Forward: tuple of [B, C, h, w] maps -> tuple of [B, C, h * s, w * s].
    """

    def __init__(self,
                 in_channels: Union[int, Sequence[int]] = 768,
                 scale_factors: Sequence[float] = SUPPORTED_SCALES,
                 norm_cfg: dict = dict(type='GN', num_groups=32),
                 init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        if isinstance(in_channels, int):
            in_channels = [in_channels] * len(scale_factors)
        if len(in_channels) != len(scale_factors):
            raise ValueError(
                f'ResolutionAdapter: in_channels has {len(in_channels)} '
                f'entries but scale_factors has {len(scale_factors)}; give '
                'one scale per backbone tap.')
        self.in_channels = list(in_channels)
        self.scale_factors = tuple(float(s) for s in scale_factors)
        self.rescales = nn.ModuleList([
            build_rescale(s, c, norm_cfg)
            for s, c in zip(self.scale_factors, self.in_channels)
        ])

    def forward(self, inputs: Sequence[torch.Tensor]) -> Tuple[torch.Tensor]:
        if len(inputs) != len(self.rescales):
            raise ValueError(
                f'ResolutionAdapter got {len(inputs)} feature maps but has '
                f'{len(self.rescales)} scale factors: the backbone out_indices '
                'must give one tap per scale.')
        outs: List[torch.Tensor] = [m(x) for m, x in zip(self.rescales, inputs)]
        return tuple(outs)
