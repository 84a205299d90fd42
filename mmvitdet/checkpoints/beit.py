"""BEiT release layout (microsoft/unilm, beit/).

``{'model': state_dict, ...}`` with ``cls_token``, ``mask_token``,
``patch_embed.proj.*``, usually no ``pos_embed``, blocks with
``attn.qkv.weight`` (no bias) plus ``attn.q_bias``/``attn.v_bias``, layer scale
``gamma_1``/``gamma_2``, and the relative table [(2*14-1)^2 + 3, heads] either
shared (``rel_pos_bias.relative_position_bias_table``, pre-training) or per
block (``blocks.N.attn.relative_position_bias_table``, fine-tuning), each with
a ``relative_position_index`` buffer. The pre-training head is ``lm_head``;
fine-tuned files carry ``fc_norm``/``head``; BEiT v2 adds ``cls_pt_layers``.
"""
from typing import Mapping

from .converted import (REL_SHARED, ConvertedCheckpoint, add_beit_table,
                        block_key, raise_unknown, strip_extra_tokens,
                        tensor_items)

NAME = 'beit'
TABLE = 'relative_position_bias_table'
INDEX = 'relative_position_index'
DROPPED = {
    'cls_token': 'class token: detection has none',
    'mask_token': 'masked-modelling token: pre-training only',
    'lm_head.': 'masked-modelling head: pre-training only',
    'cls_pt_layers.': 'BEiT v2 patch-aggregation layers: pre-training only',
    'norm.': 'final norm: the detector taps block outputs without it',
    'fc_norm.': 'classifier norm: not in the detector',
    'head.': 'classifier head: not in the detector',
}
BLOCK_PARTS = ('norm1.', 'norm2.', 'attn.qkv.', 'attn.q_bias', 'attn.v_bias',
               'attn.proj.', 'mlp.fc1.', 'mlp.fc2.', 'gamma_1', 'gamma_2')


def matches(state: Mapping) -> bool:
    return 'patch_embed.proj.weight' in state and any(
        k.startswith('rel_pos_bias.') or k.endswith('attn.q_bias')
        or k.endswith('attn.' + TABLE) for k in state)


def convert(state: Mapping, path: str) -> ConvertedCheckpoint:
    ckpt = ConvertedCheckpoint(path, NAME)
    unknown = []
    for key, value in tensor_items(state):
        blk = block_key(key)
        dropped = next((why for p, why in DROPPED.items()
                        if key == p or (p.endswith('.') and key.startswith(p))),
                       None)
        if dropped:
            ckpt.drop(key, value, dropped)
        elif key.endswith(INDEX):
            ckpt.drop(key, value, 'index buffer: rebuilt by the model')
        elif key == 'pos_embed':
            strip_extra_tokens(ckpt, key, value, int('cls_token' in state))
        elif key.startswith('patch_embed.proj.'):
            ckpt.add(key, value, key)
        elif key == f'rel_pos_bias.{TABLE}':
            add_beit_table(ckpt, REL_SHARED, key, value)
        elif blk is not None and blk[1] == f'attn.{TABLE}':
            add_beit_table(ckpt, f'blocks.{blk[0]}', key, value)
        elif blk is not None and blk[1].startswith(BLOCK_PARTS):
            ckpt.add(key, value, key)
        else:
            unknown.append(key)
    raise_unknown(ckpt, unknown)
    return ckpt
