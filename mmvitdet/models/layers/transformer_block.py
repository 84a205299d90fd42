"""Pre-norm ViT block with window or global attention."""
from typing import Optional, Union

import torch
import torch.nn as nn
from mmcv.cnn.bricks import DropPath

from .activation import build_activation_layer
from .attention import Attention
from .window import window_partition, window_unpartition


class Mlp(nn.Module):
    """fc1 -> activation -> fc2 (names as in timm/MAE/BEiT checkpoints).

    ``act_cfg`` is built with mmcv's ``build_activation_layer``: GELU (exact)
    by default, ``dict(type='GELU', approximate='tanh')`` or
    ``dict(type='QuickGELU')``.
    """

    def __init__(self, embed_dims: int, hidden_dims: int,
                 act_cfg: Optional[dict] = None):
        super().__init__()
        self.fc1 = nn.Linear(embed_dims, hidden_dims)
        self.act = build_activation_layer(
            dict(type='GELU') if act_cfg is None else dict(act_cfg))
        self.fc2 = nn.Linear(hidden_dims, embed_dims)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc2(self.act(self.fc1(x)))


class TransformerBlock(nn.Module):
    """x + DropPath(gamma_1 * Attn(LN(x))), then x + DropPath(gamma_2 * MLP(LN(x))).

    Args:
        embed_dims, num_heads, mlp_ratio: width, heads and MLP expansion.
        qkv_bias: see :class:`Attention`.
        window_size: side of the attention window in tokens; 0 = global.
        drop_path: stochastic depth rate of this block.
        layer_scale_init_value: None for no layer scale, else the initial
            value of the per-channel gammas (BEiT's ``gamma_1``/``gamma_2``).
        norm_eps: LayerNorm epsilon (1e-6 in every pre-training recipe used).
        rel_pos_bias: optional per-block ``RelativePositionBias``.
        decomposed_rel_pos: optional per-block ``DecomposedRelPos``.
        act_cfg: MLP activation, see :class:`Mlp`.
    """

    def __init__(self,
                 embed_dims: int,
                 num_heads: int,
                 mlp_ratio: float = 4.,
                 qkv_bias: Union[bool, str] = True,
                 window_size: int = 0,
                 drop_path: float = 0.,
                 layer_scale_init_value: Optional[float] = None,
                 norm_eps: float = 1e-6,
                 rel_pos_bias: Optional[nn.Module] = None,
                 act_cfg: Optional[dict] = None,
                 decomposed_rel_pos: Optional[nn.Module] = None):
        super().__init__()
        self.window_size = window_size
        self.norm1 = nn.LayerNorm(embed_dims, eps=norm_eps)
        self.attn = Attention(embed_dims, num_heads, qkv_bias, rel_pos_bias, decomposed_rel_pos)
        self.drop_path = DropPath(drop_path) if drop_path > 0 else nn.Identity()
        self.norm2 = nn.LayerNorm(embed_dims, eps=norm_eps)
        self.mlp = Mlp(embed_dims, int(embed_dims * mlp_ratio), act_cfg)
        if layer_scale_init_value is not None:
            self.gamma_1 = nn.Parameter(
                torch.full((embed_dims, ), float(layer_scale_init_value)))
            self.gamma_2 = nn.Parameter(
                torch.full((embed_dims, ), float(layer_scale_init_value)))
        else:
            self.gamma_1 = self.gamma_2 = None

    @property
    def is_global(self) -> bool:
        return self.window_size == 0

    def forward(self,
                x: torch.Tensor,
                shared_bias: Optional[torch.Tensor] = None) -> torch.Tensor:
        """
        Args:
            x: [B, H, W, C] token grid.
            shared_bias: [num_heads, N, N] bias for this block's attention
                (N = window_size**2 for window blocks, H*W for global ones).

        Returns:
            [B, H, W, C].
        """
        B, H, W, C = x.shape
        shortcut = x
        x = self.norm1(x)
        if self.is_global:
            grid = (H, W)
            x = self.attn(x.reshape(B, H * W, C), grid, shared_bias)
            x = x.view(B, H, W, C)
        else:
            ws = self.window_size
            x, padded_hw = window_partition(x, ws)
            x = self.attn(x.reshape(-1, ws * ws, C), (ws, ws), shared_bias)
            x = window_unpartition(x.view(-1, ws, ws, C), ws, padded_hw,
                                   (H, W))
        if self.gamma_1 is not None:
            x = self.gamma_1 * x
        x = shortcut + self.drop_path(x)
        y = self.mlp(self.norm2(x))
        if self.gamma_2 is not None:
            y = self.gamma_2 * y
        return x + self.drop_path(y)
