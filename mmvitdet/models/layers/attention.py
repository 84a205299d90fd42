"""Multi-head self-attention over a token sequence with an optional additive bias."""
from typing import Optional, Tuple, Union

import torch
import torch.nn as nn
import torch.nn.functional as F

from .rope import apply_rope


class Attention(nn.Module):
    """Multi-head self-attention computed with ``F.scaled_dot_product_attention``.

    Args:
        embed_dims: token width C.
        num_heads: number of heads; C must be divisible by it.
        qkv_bias: True for one bias on the fused qkv projection (timm/MAE/
            DeiT/MoCo v3), 'qv' for BEiT's separate q and v biases with a fixed
            zero k bias (parameters ``q_bias`` and ``v_bias``), False for none.
        rel_pos_bias: an optional per-block relative position bias module
            (``RelativePositionBias``); a shared bias is passed to ``forward``.
        decomposed_rel_pos: an optional ``DecomposedRelPos`` (ViTDet / SAM):
            a bias computed from the queries, stored as ``rel_pos``.
        proj_bias: the output projection has a bias (AIMv2's has none).
        rope_rotation: 'half' | 'interleaved', the pairing of a RoPE (see
            ``layers.rope``); the tables come with ``forward``.

    The relative bias is handed to SDPA as an additive float mask, so the fused
    attention kernels are used on GPU.
    """

    def __init__(self,
                 embed_dims: int,
                 num_heads: int,
                 qkv_bias: Union[bool, str] = True,
                 rel_pos_bias: Optional[nn.Module] = None,
                 decomposed_rel_pos: Optional[nn.Module] = None,
                 proj_bias: bool = True,
                 rope_rotation: str = 'half'):
        super().__init__()
        if qkv_bias not in (True, False, 'qv'):
            raise ValueError(
                f"qkv_bias must be True, False or 'qv', got {qkv_bias!r}")
        self.num_heads = num_heads
        self.head_dims = embed_dims // num_heads
        self.qkv = nn.Linear(embed_dims, embed_dims * 3, bias=qkv_bias is True)
        if qkv_bias == 'qv':
            self.q_bias = nn.Parameter(torch.zeros(embed_dims))
            self.v_bias = nn.Parameter(torch.zeros(embed_dims))
        else:
            self.q_bias = self.v_bias = None
        self.proj = nn.Linear(embed_dims, embed_dims, bias=proj_bias)
        self.rope_rotation = rope_rotation
        self.rel_pos_bias = rel_pos_bias
        self.rel_pos = decomposed_rel_pos

    def _qkv_bias(self) -> Optional[torch.Tensor]:
        if self.q_bias is None:
            return self.qkv.bias
        return torch.cat(
            (self.q_bias, torch.zeros_like(self.q_bias), self.v_bias))

    def forward(self,
                x: torch.Tensor,
                grid_hw,
                shared_bias: Optional[torch.Tensor] = None,
                rope: Optional[Tuple[torch.Tensor, torch.Tensor]] = None) -> torch.Tensor:
        """
        Args:
            x: [B, N, C] tokens of B images (or windows) of ``grid_hw`` tokens.
            grid_hw: (H, W) with H * W == N, used by a per-block bias.
            shared_bias: [num_heads, N, N] bias shared across blocks, or None.
            rope: (sin, cos) tables, [N, D] or [nW, N, D], rotating q and k.

        Returns:
            [B, N, C].
        """
        B, N, C = x.shape
        qkv = F.linear(x, self.qkv.weight, self._qkv_bias())
        q, k, v = qkv.view(B, N, 3, self.num_heads,
                           self.head_dims).permute(2, 0, 3, 1, 4).unbind(0)
        bias = shared_bias
        if self.rel_pos_bias is not None:
            bias = self.rel_pos_bias(grid_hw)
        elif self.rel_pos is not None:
            bias = self.rel_pos(q, grid_hw)
        if bias is not None:
            bias = bias.to(q.dtype)
        if rope is not None:
            q = apply_rope(q, *rope, self.rope_rotation)
            k = apply_rope(k, *rope, self.rope_rotation)
        x = F.scaled_dot_product_attention(q, k, v, attn_mask=bias)
        x = x.transpose(1, 2).reshape(B, N, C)
        return self.proj(x)
