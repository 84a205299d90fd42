"""mmpretrain 1.x layout: ViT / DeiT / DeiT III / MAE / MoCoV3 / BEiT.

``{'meta', 'state_dict'}`` with ``backbone.`` keys (a bare backbone state dict
is accepted too): ``patch_embed.projection``, ``layers.N.{ln1, attn.qkv,
attn.proj, ln2, ffn.layers.0.0 (fc1), ffn.layers.1 (fc2)}``, layer scale as
``attn.gamma1.weight``/``ffn.gamma2.weight`` (ViT, DeiT III) or
``gamma_1``/``gamma_2`` (BEiTViT), BEiT's ``attn.q_bias``/``attn.v_bias`` and
relative tables, and final norms ``ln1``/``ln2``. Self-supervised files also
hold ``neck``, ``head``, ``momentum_encoder`` and ``target_generator``.
"""
import re
from typing import Mapping

from .converted import (REL_SHARED, ConvertedCheckpoint, add_beit_table,
                        block_key, raise_unknown, strip_extra_tokens,
                        tensor_items)

NAME = 'mmpretrain'
BACKBONE = 'backbone.'
OTHER_PARTS = {
    'neck.': 'neck (MAE decoder / projection MLP): pre-training only',
    'head.': 'head: pre-training or classification only',
    'momentum_encoder.': 'momentum encoder: pre-training only',
    'target_generator.': 'target generator (tokenizer): pre-training only',
    'data_preprocessor.': 'data preprocessor buffers: not weights',
}
TOKENS = ('cls_token', 'dist_token', 'mask_token')
BLOCK_RENAMES = {
    'ln1.': 'norm1.',
    'ln2.': 'norm2.',
    'ffn.layers.0.0.': 'mlp.fc1.',
    'ffn.layers.1.': 'mlp.fc2.',
    'attn.gamma1.weight': 'gamma_1',
    'ffn.gamma2.weight': 'gamma_2',
    'gamma_1': 'gamma_1',
    'gamma_2': 'gamma_2',
    'attn.qkv.': 'attn.qkv.',
    'attn.q_bias': 'attn.q_bias',
    'attn.v_bias': 'attn.v_bias',
    'attn.proj.': 'attn.proj.',
}
_BLOCK_LN = re.compile(r'^(backbone\.)?layers\.\d+\.ln1\.weight$')


def matches(state: Mapping) -> bool:
    return any(_BLOCK_LN.match(k) for k in state) and any(
        k.endswith('patch_embed.projection.weight') for k in state)


def _rename_block_part(part: str):
    for old, new in BLOCK_RENAMES.items():
        if part == old or (old.endswith('.') and part.startswith(old)):
            return new + part[len(old):]
    return None


def convert(state: Mapping, path: str) -> ConvertedCheckpoint:
    ckpt = ConvertedCheckpoint(path, NAME)
    prefix = BACKBONE if any(k.startswith(BACKBONE) for k in state) else ''
    num_extra = sum(prefix + t in state for t in ('cls_token', 'dist_token'))
    unknown = []
    for src, value in tensor_items(state):
        if not src.startswith(prefix):
            part = next((p for p in OTHER_PARTS if src.startswith(p)), None)
            if part is None:
                unknown.append(src)
            else:
                ckpt.drop(src, value, OTHER_PARTS[part])
            continue
        key = src[len(prefix):]
        blk = block_key(key, 'layers.')
        if key in TOKENS:
            ckpt.drop(src, value, f'{key}: detection has no extra tokens')
        elif key.endswith('relative_position_index'):
            ckpt.drop(src, value, 'index buffer: rebuilt by the model')
        elif key == 'pos_embed':
            strip_extra_tokens(ckpt, src, value, num_extra)
        elif key.startswith('patch_embed.projection.'):
            ckpt.add('patch_embed.proj.' + key.split('.')[-1], value, src)
        elif key == 'rel_pos_bias.relative_position_bias_table':
            add_beit_table(ckpt, REL_SHARED, src, value)
        elif key.startswith(('ln1.', 'ln2.')):
            ckpt.drop(src, value, 'final norm: the detector taps block '
                      'outputs without it')
        elif blk is not None and blk[1] == 'attn.relative_position_bias_table':
            add_beit_table(ckpt, f'blocks.{blk[0]}', src, value)
        elif blk is not None and _rename_block_part(blk[1]) is not None:
            ckpt.add(f'blocks.{blk[0]}.{_rename_block_part(blk[1])}', value,
                     src)
        else:
            unknown.append(src)
    raise_unknown(ckpt, unknown)
    return ckpt
