"""Decomposed relative position (MViTv2; ViTDet and SAM's image encoder): per block, one table over row offsets and
one over column offsets, added to the attention logits as ``q . R_h`` plus ``q . R_w``.

The rule is detectron2's (``get_rel_pos`` / ``add_decomposed_rel_pos``): a table of another length than
``2 * max(q, k) - 1`` is resized linearly (``align_corners=False``) at every forward; ``q`` enters unscaled (the
``1 / sqrt(head_dim)`` scale applies to ``q . k`` only). Here the sum is handed to SDPA as an additive mask, so
the attention itself stays fused.
"""
from typing import Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F


def resize_rel_pos_table(table: torch.Tensor, length: int) -> torch.Tensor:
    """[L, C] table of offsets -> [length, C], linearly interpolated along the offsets (detectron2's rule)."""
    if table.shape[0] == length:
        return table
    return F.interpolate(table.t()[None], size=length, mode='linear')[0].t()


def rel_pos_rows(q_size: int, k_size: int, table: torch.Tensor) -> torch.Tensor:
    """The table rows for every (query, key) pair of one axis: [q_size, k_size, C].

    Query and key coordinates are stretched to the longer axis when the sizes differ, as in detectron2.
    """
    length = int(2 * max(q_size, k_size) - 1)
    table = resize_rel_pos_table(table, length)
    q_coords = torch.arange(q_size, device=table.device)[:, None] * max(k_size / q_size, 1.0)
    k_coords = torch.arange(k_size, device=table.device)[None, :] * max(q_size / k_size, 1.0)
    offsets = (q_coords - k_coords) + (k_size - 1) * max(q_size / k_size, 1.0)
    return table[offsets.long()]


def decomposed_rel_pos_bias(q: torch.Tensor, rel_pos_h: torch.Tensor, rel_pos_w: torch.Tensor,
                            q_hw: Tuple[int, int], k_hw: Tuple[int, int]) -> torch.Tensor:
    """Additive attention bias of decomposed relative position.

    Args:
        q: [B, heads, Nq, C] queries (unscaled), Nq = q_h * q_w.
        rel_pos_h, rel_pos_w: [L_h, C] and [L_w, C] tables of row and column offsets.
        q_hw, k_hw: query and key grids.

    Returns:
        [B, heads, Nq, Nk] bias: entry (i, j) = q_i . R_h[row offset] + q_i . R_w[column offset].
    """
    (q_h, q_w), (k_h, k_w) = q_hw, k_hw
    r_h = rel_pos_rows(q_h, k_h, rel_pos_h).to(q.dtype)  # [q_h, k_h, C]
    r_w = rel_pos_rows(q_w, k_w, rel_pos_w).to(q.dtype)  # [q_w, k_w, C]
    B, heads, _, C = q.shape
    grid_q = q.reshape(B, heads, q_h, q_w, C)
    rel_h = torch.einsum('bnhwc,hkc->bnhwk', grid_q, r_h)  # [B, heads, q_h, q_w, k_h]
    rel_w = torch.einsum('bnhwc,wkc->bnhwk', grid_q, r_w)  # [B, heads, q_h, q_w, k_w]
    bias = rel_h[..., :, None] + rel_w[..., None, :]
    return bias.reshape(B, heads, q_h * q_w, k_h * k_w)


class DecomposedRelPos(nn.Module):
    """The two learnable tables of one attention block, for a ``grid_size`` token grid (window or whole image).

    Args:
        grid_size: (H, W) the block attends over at the fine-tuning size: tables of 2H - 1 and 2W - 1 offsets.
        head_dims: width of one head.

    Parameters ``rel_pos_h`` [2H - 1, head_dims] and ``rel_pos_w`` [2W - 1, head_dims], zero-initialised
    (detectron2's ``rel_pos_zero_init``; inits that have none start from no position bias).
    """

    def __init__(self, grid_size: Tuple[int, int], head_dims: int):
        super().__init__()
        self.grid_size = tuple(grid_size)
        self.rel_pos_h = nn.Parameter(torch.zeros(2 * self.grid_size[0] - 1, head_dims))
        self.rel_pos_w = nn.Parameter(torch.zeros(2 * self.grid_size[1] - 1, head_dims))

    def reset_parameters(self) -> None:
        nn.init.zeros_(self.rel_pos_h)
        nn.init.zeros_(self.rel_pos_w)

    def forward(self, q: torch.Tensor, grid_hw: Tuple[int, int]) -> torch.Tensor:
        """q [B, heads, N, C] over ``grid_hw`` (self-attention) -> [B, heads, N, N] bias."""
        return decomposed_rel_pos_bias(q, self.rel_pos_h, self.rel_pos_w, grid_hw, grid_hw)
