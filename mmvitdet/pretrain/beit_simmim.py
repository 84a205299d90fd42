"""The BEiT architecture trained with SimMIM's pixel target (mmpretrain pieces, joined).

mmpretrain's BEiT v1/v2 need a tokenizer or a CLIP teacher trained elsewhere (a download).
mmpretrain's ``SimMIM`` algorithm predicts raw pixels and needs nothing, but expects a
backbone whose masked forward returns a feature map, which only its Swin variant does. This
class is mmpretrain's ``BEiTPretrainViT`` (q/v bias, layer scale, shared relative position
bias, mask token) with that one output change, so its checkpoints keep BEiTViT's key layout.
"""
from typing import Optional, Tuple

import torch
from mmpretrain.models.selfsup.beit import BEiTPretrainViT
from mmpretrain.registry import MODELS


@MODELS.register_module()
class BEiTViTForSimMIM(BEiTPretrainViT):
    """``BEiTPretrainViT`` whose masked forward returns the last block as a map.

    Args: as ``mmpretrain.models.BEiTPretrainViT``.
    """

    def forward(self, x: torch.Tensor,
                mask: Optional[torch.Tensor] = None) -> Tuple[torch.Tensor, ...]:
        """Masked: (B, C, h, w) patch features, ``mask`` (B, h, w), 1 = masked token.

        Without a mask: ``BEiTPretrainViT``'s output unchanged.
        """
        outs = super().forward(x, mask)
        if mask is None:
            return outs
        tokens = outs[-1][:, self.num_extra_tokens:]  # (B, h*w, C), class token dropped
        h, w = mask.shape[-2:]
        return (tokens.transpose(1, 2).reshape(tokens.shape[0], -1, h, w), )
