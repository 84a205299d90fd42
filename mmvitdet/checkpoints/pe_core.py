"""Perception Encoder, PE-Core (facebookresearch/perception_models, ``PE-Core-{B16-224,L14-336}.pt``).

The full CLIP model in OpenAI CLIP's names (``openai_clip.py``): the image tower ``visual.{conv1 (no bias),
class_embedding, positional_embedding [1 + N, C], ln_pre, transformer.resblocks.N.*, ln_post,
attn_pool.*, proj}`` and the text tower. The abs position is added before ``ln_pre`` and every block
rotates q and k by a 2-D RoPE (theta 10000, positions 1..H / 1..W, x first, interleaved pairs; the class
token, dropped here, sits at angle 0); the RoPE holds no weights. The attention-pooling head, ``ln_post``,
the projection and the text tower are dropped.
"""
from typing import Mapping

from . import openai_clip, release_rope
from .converted import ConvertedCheckpoint

NAME = 'pe_core'
POOL = 'attn_pool.'


def _prefix(state: Mapping):
    return next((p for p in (openai_clip.VISUAL, '') if p + 'conv1.weight' in state), None)


def matches(state: Mapping) -> bool:
    p = _prefix(state)
    return p is not None and any(k.startswith(p + POOL) for k in state)


def convert(state: Mapping, path: str) -> ConvertedCheckpoint:
    prefix = _prefix(state) or ''
    pool = {k: v for k, v in state.items() if k.startswith(prefix + POOL)}
    ckpt = openai_clip.convert({k: v for k, v in state.items() if k not in pool}, path)
    ckpt.format = NAME
    for key, value in pool.items():
        ckpt.drop(key, value, 'attention-pooling head (CLIP embedding): not in the detector')
    ckpt.meta['rope'] = dict(release_rope.PE_CORE)
    ckpt.meta['release'] = 'PE-Core'
    ckpt.meta['norm_eps'] = 1e-5
    ckpt.meta.pop('num_heads', None)  # the CLIP reader's note names CLIP
    ckpt.set_heads_by_width(openai_clip.HEADS_BY_WIDTH, 'a width-{width} PE-Core image tower (B and L use 64-wide '
                            'heads)')
    return ckpt
