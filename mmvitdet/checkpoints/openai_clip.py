"""CLIP image tower in the OpenAI / OpenCLIP layout.

OpenAI's ``ViT-B-16.pt`` (a TorchScript archive, see file_formats.py) and
OpenCLIP's ``open_clip_pytorch_model.bin`` / ``open_clip_model.safetensors``
share the names of ``clip/model.py``: ``visual.conv1.weight`` (no bias),
``visual.class_embedding`` [C], ``visual.positional_embedding`` [1 + N, C]
(no batch dimension), ``visual.ln_pre``, ``visual.transformer.resblocks.N.
{ln_1, attn.in_proj_weight, attn.in_proj_bias, attn.out_proj, ln_2, mlp.c_fc,
mlp.c_proj}``, ``visual.ln_post``, ``visual.proj``; the text tower
(``token_embedding``, ``positional_embedding``, ``transformer.*``,
``ln_final``, ``text_projection``) and ``logit_scale``. A file holding only
the image tower without the ``visual.`` prefix is read too.

The weights cannot show the head count. OpenAI's ``build_model`` uses
width / 64 heads, as do OpenCLIP's B and L models, so widths 768 and 1024
are checked against the config (12 and 16 heads); OpenCLIP's H/g/bigG use
80-104 wide heads, so other widths are checked only when the folder's
``open_clip_config.json`` gives ``head_width``. Nor can they show the
activation: OpenAI's models use QuickGELU, OpenCLIP's own trainings GELU
unless named ``-quickgelu``; the config states it.
"""
from typing import Mapping

from .converted import (ConvertedCheckpoint, block_key, raise_unknown,
                        rename_part, strip_extra_tokens, tensor_items)
from .errors import CheckpointError

NAME = 'clip'
VISUAL = 'visual.'
# Width -> heads of every OpenAI CLIP ViT (B/32, B/16, L/14, L/14-336) and
# OpenCLIP's B/L (64-wide heads).
HEADS_BY_WIDTH = {768: 12, 1024: 16}
BLOCK_RENAMES = {
    'ln_1.': 'norm1.',
    'attn.in_proj_weight': 'attn.qkv.weight',
    'attn.in_proj_bias': 'attn.qkv.bias',
    'attn.out_proj.': 'attn.proj.',
    'ln_2.': 'norm2.',
    'mlp.c_fc.': 'mlp.fc1.',
    'mlp.c_proj.': 'mlp.fc2.',
}
VISUAL_DROPPED = {
    'class_embedding': 'class token: detection has none',
    'ln_post.': 'final norm: the detector taps block outputs without it',
    'proj': 'image-text projection: not in the detector',
}
TEXT_TOWER = ('token_embedding.', 'positional_embedding', 'transformer.',
              'ln_final.', 'text_projection', 'logit_scale', 'logit_bias',
              'attn_mask')
# Scalars clip.load() deletes before building the model.
META_KEYS = ('input_resolution', 'context_length', 'vocab_size')


def _visual_prefix(state: Mapping) -> str:
    return next((p for p in (VISUAL, '') if p + 'conv1.weight' in state
                 and p + 'class_embedding' in state), None)


def matches(state: Mapping) -> bool:
    """The image tower, or a text tower alone (refused by convert)."""
    return _visual_prefix(state) is not None or (
        'token_embedding.weight' in state and 'text_projection' in state)


def convert(state: Mapping, path: str) -> ConvertedCheckpoint:
    ckpt = ConvertedCheckpoint(path, NAME)
    prefix = _visual_prefix(state)
    if prefix is None:
        raise CheckpointError(
            f'{path}: holds only a CLIP text tower (token_embedding, '
            'transformer.resblocks, text_projection) and no image tower '
            '(visual.conv1.weight, visual.transformer.resblocks.*). Use the '
            'full CLIP checkpoint (e.g. OpenAI ViT-B-16.pt, OpenCLIP '
            'open_clip_pytorch_model.bin, or PE-Core-B16-224.pt of Perception '
            'Encoder, which hold both towers) or its image tower.')
    blocks = prefix + 'transformer.resblocks.'
    unknown = []
    for key, value in tensor_items(state):
        if key in META_KEYS:
            ckpt.drop(key, value, 'CLIP metadata scalar')
            continue
        if not key.startswith(prefix):  # only with the 'visual.' prefix
            if key.startswith(TEXT_TOWER):
                ckpt.drop(key, value, 'CLIP text tower / logit scale: not '
                          'used by the detector')
            else:
                unknown.append(key)
            continue
        part = key[len(prefix):]
        blk = block_key(key, blocks)
        dropped = next((why for p, why in VISUAL_DROPPED.items()
                        if part == p or (p.endswith('.') and
                                         part.startswith(p))), None)
        if dropped:
            ckpt.drop(key, value, dropped)
        elif part == 'conv1.weight':
            ckpt.add('patch_embed.proj.weight', value, key)
        elif part == 'positional_embedding':
            strip_extra_tokens(ckpt, key, value[None], 1,
                               note='batch dimension added',
                               src_shape=tuple(value.shape))
        elif part.startswith('ln_pre.'):
            ckpt.add('norm_pre.' + part[len('ln_pre.'):], value, key)
        elif blk is not None and rename_part(blk[1], BLOCK_RENAMES):
            ckpt.add(f'blocks.{blk[0]}.{rename_part(blk[1], BLOCK_RENAMES)}',
                     value, key)
        else:
            unknown.append(key)
    raise_unknown(ckpt, unknown)
    ckpt.set_heads_by_width(HEADS_BY_WIDTH, 'a width-{width} CLIP image tower (OpenAI and OpenCLIP B/L use '
                            '64-wide heads)')
    return ckpt
