"""Non-overlapping window partition for window attention (zero padding, no mask).

The paper pads the 64x64 grid of a 1024 input to 70x70 so that 14x14 windows
tile it; padded tokens are zeros and are not masked, as in detectron2.
"""
from typing import Tuple

import torch
import torch.nn.functional as F


def window_partition(x: torch.Tensor,
                     window_size: int) -> Tuple[torch.Tensor, Tuple[int, int]]:
    """Split a token grid into windows, zero-padding it to a multiple of the window.

    Args:
        x: [B, H, W, C] token grid.
        window_size: side of a square window, in tokens.

    Returns:
        windows: [B * nH * nW, window_size, window_size, C].
        padded_hw: (Hp, Wp), the padded grid size.
    """
    B, H, W, C = x.shape
    pad_h = (window_size - H % window_size) % window_size
    pad_w = (window_size - W % window_size) % window_size
    if pad_h or pad_w:
        x = F.pad(x, (0, 0, 0, pad_w, 0, pad_h))
    Hp, Wp = H + pad_h, W + pad_w
    x = x.view(B, Hp // window_size, window_size, Wp // window_size,
               window_size, C)
    windows = x.permute(0, 1, 3, 2, 4, 5).reshape(-1, window_size,
                                                  window_size, C)
    return windows, (Hp, Wp)


def window_unpartition(windows: torch.Tensor, window_size: int,
                       padded_hw: Tuple[int, int],
                       hw: Tuple[int, int]) -> torch.Tensor:
    """Inverse of :func:`window_partition`: reassemble windows and crop the padding.

    Args:
        windows: [B * nH * nW, window_size, window_size, C].
        window_size: side of a window, in tokens.
        padded_hw: (Hp, Wp) returned by :func:`window_partition`.
        hw: (H, W), the grid size before padding.

    Returns:
        [B, H, W, C] token grid.
    """
    Hp, Wp = padded_hw
    H, W = hw
    nh, nw = Hp // window_size, Wp // window_size
    B = windows.shape[0] // (nh * nw)
    x = windows.view(B, nh, nw, window_size, window_size, -1)
    x = x.permute(0, 1, 3, 2, 4, 5).reshape(B, Hp, Wp, -1)
    if Hp != H or Wp != W:
        x = x[:, :H, :W, :].contiguous()
    return x
