"""mmvitdet's own layout: the ViT's state dict, bare or inside a detector.

Written by ``tools/model_converters/convert_vit.py`` as ``{'state_dict',
'meta': {'mmvitdet': {...}}}`` (only pre-trained tensors: the keys the paper
initializes anew are left out, so loading re-applies the same rule), saved by
``torch.save(vit.state_dict())``, or found under ``backbone.`` in an mmdet
detector checkpoint (neck and heads are dropped).
"""
from typing import Mapping

from .converted import ConvertedCheckpoint, block_key, raise_unknown, \
    tensor_items

NAME = 'mmvitdet'
BACKBONE = 'backbone.'
TABLE = 'relative_position_bias_table'
SHARED_TABLES = {f'rel_pos_bias_window.{TABLE}': 'window',
                 f'rel_pos_bias_global.{TABLE}': 'global'}
BLOCK_PARTS = ('norm1.', 'norm2.', 'attn.qkv.', 'attn.q_bias', 'attn.v_bias',
               'attn.proj.', 'mlp.fc1.', 'mlp.fc2.', 'gamma_1', 'gamma_2',
               'attn.rel_pos.rel_pos_h', 'attn.rel_pos.rel_pos_w',
               'mlp.w1.', 'mlp.w2.', 'mlp.w3.', 'mlp.norm.')
# Keys that only timm-like classifiers have: the ViT has no token or head.
FOREIGN = ('cls_token', 'reg_token', 'register_tokens', 'mask_token',
           'norm.weight', 'fc_norm.weight', 'head.weight')


def _prefix(state: Mapping) -> str:
    return BACKBONE if f'{BACKBONE}patch_embed.proj.weight' in state else ''


def matches(state: Mapping) -> bool:
    p = _prefix(state)
    return (f'{p}patch_embed.proj.weight' in state
            and f'{p}blocks.0.norm1.weight' in state
            and not any(p + k in state for k in FOREIGN))


def convert(state: Mapping, path: str) -> ConvertedCheckpoint:
    ckpt = ConvertedCheckpoint(path, NAME)
    prefix = _prefix(state)
    unknown = []
    for src, value in tensor_items(state):
        if not src.startswith(prefix):
            ckpt.drop(src, value, 'detector part outside the backbone')
            continue
        key = src[len(prefix):]
        blk = block_key(key)
        if key in ('pos_embed', 'rope.periods') or key.startswith(
                ('patch_embed.proj.', 'norm_pre.', 'patch_norm.')):
            ckpt.add(key, value, src)
        elif key in SHARED_TABLES:
            ckpt.add_rel(SHARED_TABLES[key], value, src, tuple(value.shape))
        elif blk is not None and blk[1] == f'attn.rel_pos_bias.{TABLE}':
            ckpt.add_rel(f'blocks.{blk[0]}', value, src, tuple(value.shape))
        elif blk is not None and blk[1].startswith(BLOCK_PARTS):
            ckpt.add(key, value, src)
        else:
            unknown.append(src)
    raise_unknown(ckpt, unknown)
    return ckpt
