"""Pre-norm ViT block with window or global attention."""
from typing import Optional, Union

import torch
import torch.nn as nn
from mmcv.cnn.bricks import DropPath

from .activation import build_activation_layer
from .attention import Attention
from .norm import build_norm
from .swiglu import SwiGLU
from .window import window_partition, window_unpartition


class Mlp(nn.Module):
    """fc1 -> activation -> fc2 (names as in timm/MAE/BEiT checkpoints).

    ``act_cfg`` is built with mmcv's ``build_activation_layer``: GELU (exact)
    by default, ``dict(type='GELU', approximate='tanh')`` or
    ``dict(type='QuickGELU')``.
    """

    def __init__(self, embed_dims: int, hidden_dims: int,
                 act_cfg: Optional[dict] = None, bias: bool = True):
        super().__init__()
        self.fc1 = nn.Linear(embed_dims, hidden_dims, bias=bias)
        self.act = build_activation_layer(
            dict(type='GELU') if act_cfg is None else dict(act_cfg))
        self.fc2 = nn.Linear(hidden_dims, embed_dims, bias=bias)

    @property
    def out_proj(self) -> nn.Linear:
        return self.fc2

    @property
    def hidden_dims(self) -> int:
        return self.fc1.out_features

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc2(self.act(self.fc1(x)))


FFN_TYPES = ('mlp', 'swiglu')


class TransformerBlock(nn.Module):
    """x + DropPath(gamma_1 * Attn(Norm(x))), then x + DropPath(gamma_2 * FFN(Norm(x))).

    Args:
        embed_dims, num_heads: width and heads.
        mlp_ratio: FFN hidden width / embed_dims (used when
            ``feedforward_channels`` is None).
        qkv_bias: see :class:`Attention`.
        window_size: side of the attention window in tokens; 0 = global.
        drop_path: stochastic depth rate of this block.
        layer_scale_init_value: None for no layer scale, else the initial
            value of the per-channel gammas (BEiT's ``gamma_1``/``gamma_2``).
        norm_eps: LayerNorm epsilon (1e-6 in every pre-training recipe used).
        rel_pos_bias: optional per-block ``RelativePositionBias``.
        decomposed_rel_pos: optional per-block ``DecomposedRelPos``.
        act_cfg: MLP activation, see :class:`Mlp`.
        feedforward_channels: FFN hidden width (overrides ``mlp_ratio``).
        ffn_type: 'mlp' (fc1 -> act -> fc2) or 'swiglu' (:class:`SwiGLU`).
        ffn_bias: biases in the FFN projections.
        ffn_sub_norm: SwiGLU's norm before its output projection (EVA-02).
        norm_type: 'layer_norm' or 'rms_norm' (AIMv2), see ``layers.norm``.
        proj_bias, rope_rotation: see :class:`Attention`.
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
                 decomposed_rel_pos: Optional[nn.Module] = None,
                 feedforward_channels: Optional[int] = None,
                 ffn_type: str = 'mlp',
                 ffn_bias: bool = True,
                 ffn_sub_norm: bool = False,
                 norm_type: str = 'layer_norm',
                 proj_bias: bool = True,
                 rope_rotation: str = 'half'):
        super().__init__()
        if ffn_type not in FFN_TYPES:
            raise ValueError(f'ViT ffn_type={ffn_type!r}: choose one of {FFN_TYPES}.')
        if ffn_sub_norm and ffn_type != 'swiglu':
            raise ValueError("ViT ffn_sub_norm=True needs ffn_type='swiglu' (EVA-02's sub-LN sits in its SwiGLU).")
        self.window_size = window_size
        self.norm1 = build_norm(norm_type, embed_dims, norm_eps)
        self.attn = Attention(embed_dims, num_heads, qkv_bias, rel_pos_bias, decomposed_rel_pos,
                              proj_bias=proj_bias, rope_rotation=rope_rotation)
        self.drop_path = DropPath(drop_path) if drop_path > 0 else nn.Identity()
        self.norm2 = build_norm(norm_type, embed_dims, norm_eps)
        hidden = int(feedforward_channels or embed_dims * mlp_ratio)
        if ffn_type == 'swiglu':
            sub_norm = build_norm(norm_type, hidden, norm_eps) if ffn_sub_norm else None
            self.mlp = SwiGLU(embed_dims, hidden, bias=ffn_bias, sub_norm=sub_norm)
        else:
            self.mlp = Mlp(embed_dims, hidden, act_cfg, bias=ffn_bias)
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
                shared_bias: Optional[torch.Tensor] = None,
                rope: Optional[tuple] = None) -> torch.Tensor:
        """
        Args:
            x: [B, H, W, C] token grid.
            shared_bias: [num_heads, N, N] bias for this block's attention
                (N = window_size**2 for window blocks, H*W for global ones).
            rope: (sin, cos) RoPE tables for this block's attention
                ([N, D], or [nW, N, D] per window), or None.

        Returns:
            [B, H, W, C].
        """
        B, H, W, C = x.shape
        shortcut = x
        x = self.norm1(x)
        if self.is_global:
            grid = (H, W)
            x = self.attn(x.reshape(B, H * W, C), grid, shared_bias, rope)
            x = x.view(B, H, W, C)
        else:
            ws = self.window_size
            x, padded_hw = window_partition(x, ws)
            x = self.attn(x.reshape(-1, ws * ws, C), (ws, ws), shared_bias, rope)
            x = window_unpartition(x.view(-1, ws, ws, C), ws, padded_hw,
                                   (H, W))
        if self.gamma_1 is not None:
            x = self.gamma_1 * x
        x = shortcut + self.drop_path(x)
        y = self.mlp(self.norm2(x))
        if self.gamma_2 is not None:
            y = self.gamma_2 * y
        return x + self.drop_path(y)
