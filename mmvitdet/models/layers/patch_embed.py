"""Patch embedding: a strided conv that turns an image into a token grid."""
import torch
import torch.nn as nn
import torch.nn.functional as F


class PatchEmbed(nn.Module):
    """Conv(patch_size, stride patch_size); pads the image to a multiple of it.

    The conv is named ``proj`` as in timm/MAE/BEiT checkpoints.

    Args:
        patch_size: side of a patch in pixels.
        in_channels: image channels.
        embed_dims: token width.
        bias: whether the conv has a bias (OpenAI CLIP's ``conv1`` has none).
    """

    def __init__(self, patch_size: int = 16, in_channels: int = 3,
                 embed_dims: int = 768, bias: bool = True):
        super().__init__()
        self.patch_size = patch_size
        self.in_channels = in_channels
        self.proj = nn.Conv2d(in_channels, embed_dims, patch_size, patch_size,
                              bias=bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """[B, C, H, W] image -> [B, ceil(H/p), ceil(W/p), embed_dims] tokens."""
        if x.dim() != 4 or x.shape[1] != self.in_channels:
            raise ValueError(
                f'ViT expects images of shape [B, {self.in_channels}, H, W] '
                f'(in_channels={self.in_channels}), got {tuple(x.shape)}. '
                'Set the backbone in_channels to match the data, or convert '
                'the images (e.g. LoadImageFromFile(color_type="color")).')
        p = self.patch_size
        H, W = x.shape[-2:]
        pad_h, pad_w = (p - H % p) % p, (p - W % p) % p
        if pad_h or pad_w:
            x = F.pad(x, (0, pad_w, 0, pad_h))
        return self.proj(x).permute(0, 2, 3, 1)
