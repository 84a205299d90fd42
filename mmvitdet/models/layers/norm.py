"""The ViT's norm layer: LayerNorm (every release but AIMv2) or RMSNorm (AIMv2).

RMSNorm is torch's ``nn.RMSNorm``: ``x / sqrt(mean(x^2) + eps) * weight``, no
bias and no mean subtraction, computed in float32 (see :class:`RMSNorm`).
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

NORM_TYPES = ('layer_norm', 'rms_norm')


class RMSNorm(nn.RMSNorm):
    """torch's RMSNorm in float32, returned in the input's dtype, as AIMv2's own code computes it.

    Autocast runs LayerNorm in float32 but not rms_norm: a bf16 input (e.g. the patch embedding's output)
    would otherwise be normalized in bf16. [..., C] -> [..., C].
    """

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        weight = self.weight.float() if self.weight is not None else None
        return F.rms_norm(x.float(), self.normalized_shape, weight, self.eps).to(x.dtype)


def build_norm(norm_type: str, dims: int, eps: float) -> nn.Module:
    """A norm over the last dimension of width ``dims``."""
    if norm_type == 'layer_norm':
        return nn.LayerNorm(dims, eps=eps)
    if norm_type == 'rms_norm':
        return RMSNorm(dims, eps=eps)
    raise ValueError(f'ViT norm_type={norm_type!r}: choose one of {NORM_TYPES}.')


def reset_norm(module: nn.Module) -> None:
    """Weight 1 (and bias 0) of a LayerNorm / RMSNorm."""
    nn.init.ones_(module.weight)
    if getattr(module, 'bias', None) is not None:
        nn.init.zeros_(module.bias)
