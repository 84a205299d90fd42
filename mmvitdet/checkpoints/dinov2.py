"""DINOv2 hub layout (facebookresearch/dinov2, ``dinov2_vit{s,b,l}14{,_reg4}
_pretrain.pth``).

timm names with patch 14: ``cls_token``, ``pos_embed`` [1, 1 + 37*37, C] (the
grid of 518 px, with a class slot; registers have none), ``register_tokens``
[1, 4, C] (the ``_reg4`` models), ``mask_token`` [1, C], ``patch_embed.proj``,
``blocks.N.{norm1, attn.qkv, attn.proj, ls1.gamma, norm2, mlp.fc1, mlp.fc2,
ls2.gamma}``, ``norm``. The ViT-g SwiGLU MLP (``mlp.w12``/``mlp.w3``) is not a
plain ViT block and is refused.
"""
from typing import Mapping

from . import timm_deit
from .converted import ConvertedCheckpoint

NAME = 'dinov2'
DROPPED = {
    'register_tokens': 'register tokens: detection has no extra tokens '
                       '(dropped like the class token)',
    'mask_token': 'masked-modelling token: pre-training only',
}


def matches(state: Mapping) -> bool:
    mask = state.get('mask_token')
    return timm_deit.matches(state) and (
        'register_tokens' in state
        or (mask is not None and mask.dim() == 2))  # MAE's is [1, 1, C]


def convert(state: Mapping, path: str) -> ConvertedCheckpoint:
    ckpt = ConvertedCheckpoint(path, NAME)
    encoder = {}
    for key, value in state.items():
        if key in DROPPED:
            ckpt.drop(key, value, DROPPED[key])
        else:
            encoder[key] = value
    timm_deit.convert_into(ckpt, encoder)
    return ckpt
