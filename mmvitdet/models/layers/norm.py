"""The ViT's norm layer: LayerNorm (every release but AIMv2) or RMSNorm (AIMv2).

RMSNorm is torch's ``nn.RMSNorm``: ``x / sqrt(mean(x^2) + eps) * weight``, no
bias and no mean subtraction.
"""
import torch.nn as nn

NORM_TYPES = ('layer_norm', 'rms_norm')


def build_norm(norm_type: str, dims: int, eps: float) -> nn.Module:
    """A norm over the last dimension of width ``dims``."""
    if norm_type == 'layer_norm':
        return nn.LayerNorm(dims, eps=eps)
    if norm_type == 'rms_norm':
        return nn.RMSNorm(dims, eps=eps)
    raise ValueError(f'ViT norm_type={norm_type!r}: choose one of {NORM_TYPES}.')


def reset_norm(module: nn.Module) -> None:
    """Weight 1 (and bias 0) of a LayerNorm / RMSNorm."""
    nn.init.ones_(module.weight)
    if getattr(module, 'bias', None) is not None:
        nn.init.zeros_(module.bias)
