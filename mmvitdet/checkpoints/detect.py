"""Find the state dict inside a loaded file and tell its layout from the keys."""
from collections import OrderedDict
from typing import Mapping, Tuple

import torch

from . import (aimv2, beit, dino, dinov2, dinov3, eva02, hf_aimv2, hf_clip, hf_dinov3, hf_vit, mae,
               mmpretrain, mmvitdet, mocov3, openai_clip, pe_core, sam, timm_deit)
from .errors import CheckpointError

# Checked in this order: the more specific layouts first (a MAE, BEiT, DINOv2
# or iBOT file also satisfies the timm test; DINOv2's [1, C] mask_token comes
# before MAE's decoder/mask-token test; DINOv3's storage tokens and [1, C] mask
# token before DINOv2; PE-Core's attention pool before OpenAI CLIP; EVA-02's
# q/k/v projections and q/v biases before BEiT and timm).
FORMATS = OrderedDict(
    (m.NAME, m) for m in (mmvitdet, sam, mocov3, mmpretrain, eva02, beit, dinov3, dinov2, mae,
                          dino, pe_core, openai_clip, aimv2, hf_dinov3, hf_aimv2, hf_vit, hf_clip,
                          timm_deit))
# 'teacher': DINO / iBOT training checkpoints hold {'student', 'teacher', ...}.
CONTAINER_KEYS = ('model', 'state_dict', 'module', 'teacher')


def _has_tensors(obj) -> bool:
    return isinstance(obj, Mapping) and any(
        isinstance(v, torch.Tensor) for v in obj.values())


def unwrap_state_dict(obj, path: str) -> Tuple[Mapping, str]:
    """Return (state dict, the top-level key that held it or '')."""
    if not isinstance(obj, Mapping):
        raise CheckpointError(
            f'{path}: holds a {type(obj).__name__}, not a checkpoint dict. '
            'Expected a state dict or a dict with a "model" or "state_dict" '
            'entry (an official pre-training release).')
    for key in CONTAINER_KEYS:
        if _has_tensors(obj.get(key)):
            return obj[key], key
    if _has_tensors(obj):
        return obj, ''
    raise CheckpointError(
        f'{path}: no weights found. Top-level keys: {sorted(map(str, obj))[:10]}'
        f'; expected one of {list(CONTAINER_KEYS)} holding tensors, or a bare '
        'state dict.')


def detect_format(state: Mapping, path: str) -> str:
    """Name of the first format in FORMATS whose key test ``state`` passes."""
    for name, module in FORMATS.items():
        if module.matches(state):
            return name
    keys = [k for k in state][:6]
    hint = ''
    if any('conv1' in k or k.startswith('layer1.') for k in state):
        hint = ' It looks like a CNN (ResNet-style) checkpoint, not a ViT.'
    raise CheckpointError(
        f'{path}: not a ViT checkpoint in any known layout (first keys: '
        f'{keys}).{hint} Known formats: {list(FORMATS)}; every one has a '
        'patch embedding (patch_embed.proj / patch_embed.projection) and '
        'transformer blocks. Use the ViT release of the initialization you '
        'want, or pass format=... if the layout is one of these.')
