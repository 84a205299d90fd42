"""SwiGLU feed-forward layer (Shazeer 2020) of DINOv3 H+, EVA-02 and AIMv2."""
from typing import Optional

import torch
import torch.nn as nn
import torch.nn.functional as F


class SwiGLU(nn.Module):
    """``w3(norm(silu(w1 x) * w2 x))``.

    Names follow DINOv3 / EVA-02: ``w1`` the gate, ``w2`` the value, ``w3`` the
    output; AIMv2's ``fc1`` / ``fc3`` / ``fc2`` and transformers' ``gate_proj`` /
    ``up_proj`` / ``down_proj`` map onto them.

    Args:
        embed_dims: token width C.
        hidden_dims: width of gate and value (read it from the release's
            weights: DINOv3 H+ rounds ``int(4 C * 2 / 3)`` up to a multiple of 8).
        bias: biases on the three projections (AIMv2 has none).
        sub_norm: a norm of the hidden width before ``w3`` (EVA-02's ``ffn_ln``),
            or None.

    Forward: [..., C] -> [..., C].
    """

    def __init__(self, embed_dims: int, hidden_dims: int, bias: bool = True,
                 sub_norm: Optional[nn.Module] = None):
        super().__init__()
        self.w1 = nn.Linear(embed_dims, hidden_dims, bias=bias)
        self.w2 = nn.Linear(embed_dims, hidden_dims, bias=bias)
        self.norm = sub_norm
        self.w3 = nn.Linear(hidden_dims, embed_dims, bias=bias)

    @property
    def out_proj(self) -> nn.Linear:
        return self.w3

    @property
    def hidden_dims(self) -> int:
        return self.w1.out_features

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.silu(self.w1(x)) * self.w2(x)
        if self.norm is not None:
            x = self.norm(x)
        return self.w3(x)
