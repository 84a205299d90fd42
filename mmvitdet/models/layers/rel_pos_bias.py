"""BEiT-style relative position bias for a 2D token grid (no class token).

The table has one row per 2D offset (dy, dx) with |dy| < H, |dx| < W, in
BEiT's order: row = (dy + H - 1) * (2W - 1) + (dx + W - 1). BEiT's three extra
class-token rows do not exist here: the detection forward has no class token.
"""
import warnings
from typing import Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F


def rel_pos_bias_from_table(table: torch.Tensor, table_hw: Tuple[int, int],
                            grid_hw: Tuple[int, int]) -> torch.Tensor:
    """Expand a relative position table into an additive attention bias.

    Args:
        table: [(2 * Ht - 1) * (2 * Wt - 1), num_heads] table built for a
            grid of ``table_hw`` = (Ht, Wt) tokens.
        table_hw: the grid the table was built for.
        grid_hw: (H, W), the grid attended over. When it is not larger than
            ``table_hw`` the offsets it needs are read from the table exactly;
            a larger grid resizes the table bicubically (with a warning).

    Returns:
        [num_heads, H * W, H * W] bias, where entry (n, i, j) is the bias of
        query token i attending key token j.
    """
    Ht, Wt = table_hw
    H, W = grid_hw
    num_heads = table.shape[1]
    table_2d = table.t().reshape(num_heads, 2 * Ht - 1, 2 * Wt - 1)
    if H > Ht or W > Wt:
        warnings.warn(
            f'relative position table built for a {Ht}x{Wt} grid is applied '
            f'to a {H}x{W} grid: resizing it bicubically on the fly. Set the '
            'backbone img_size to the fine-tuning input size to avoid this.')
        Ht, Wt = max(H, Ht), max(W, Wt)
        table_2d = F.interpolate(
            table_2d[None], size=(2 * Ht - 1, 2 * Wt - 1), mode='bicubic',
            align_corners=False)[0]
    device = table.device
    ys = torch.arange(H, device=device)
    xs = torch.arange(W, device=device)
    dy = ys[:, None] - ys[None, :] + (Ht - 1)  # [H(query), H(key)]
    dx = xs[:, None] - xs[None, :] + (Wt - 1)  # [W(query), W(key)]
    # Broadcast indexing gives [heads, Hq, Wq, Hk, Wk] without an N x N index.
    bias = table_2d[:, dy[:, None, :, None], dx[None, :, None, :]]
    return bias.reshape(num_heads, H * W, H * W)


class RelativePositionBias(nn.Module):
    """A learnable relative position bias table for a fixed token grid.

    Args:
        grid_size: (H, W) of the grid the table covers (the attention window,
            or the whole token grid for global attention), in tokens.
        num_heads: number of attention heads.
        zero_init: start from zeros (the paper's choice for non-BEiT inits)
            instead of a truncated normal (std 0.02).

    The parameter is named ``relative_position_bias_table`` as in BEiT, shape
    [(2H - 1) * (2W - 1), num_heads].
    """

    def __init__(self, grid_size: Tuple[int, int], num_heads: int,
                 zero_init: bool = True):
        super().__init__()
        self.grid_size = tuple(grid_size)
        self.num_heads = num_heads
        self.zero_init = zero_init
        H, W = self.grid_size
        self.relative_position_bias_table = nn.Parameter(
            torch.zeros((2 * H - 1) * (2 * W - 1), num_heads))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        if self.zero_init:
            nn.init.zeros_(self.relative_position_bias_table)
        else:
            nn.init.trunc_normal_(self.relative_position_bias_table, std=.02)

    def forward(self, grid_hw: Tuple[int, int]) -> torch.Tensor:
        """Return the [num_heads, H*W, H*W] bias for a grid of ``grid_hw``."""
        return rel_pos_bias_from_table(self.relative_position_bias_table,
                                       self.grid_size, grid_hw)

    def extra_repr(self) -> str:
        return (f'grid_size={self.grid_size}, num_heads={self.num_heads}, '
                f'zero_init={self.zero_init}')
