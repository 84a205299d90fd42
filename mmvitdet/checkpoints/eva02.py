"""EVA-02 layout (baaivision/EVA, ``eva02_{B,L}_pt_in21k_p14.pt`` and the other MIM releases; the state dict
is under ``module``).

``cls_token``, ``pos_embed`` [1, 1 + 16*16, C] (a class slot), ``patch_embed.proj`` (14 x 14), ``mask_token``,
``blocks.N.{norm1, attn.{q_proj, k_proj, v_proj}.weight, attn.q_bias, attn.v_bias, attn.proj, norm2,
mlp.{w1 (gate), w2 (value), ffn_ln (sub-LN), w3}}``, RoPE tables ``rope.freqs_{cos,sin}`` (repeated per
block as ``blocks.N.attn.rope.*``), the final ``norm`` and the MIM head ``lm_head``. q/k/v are fused into
qkv with the ViT's ``qkv_bias='qv'`` (the key projection has no bias); the RoPE tables are dropped and
recomputed from theta 10000 at the input grid (``layers.rope``).
"""
import re
from collections import defaultdict
from typing import Mapping

from . import release_rope
from .converted import (ConvertedCheckpoint, add_fused_qkv, block_key, raise_unknown, rename_part,
                        strip_extra_tokens, tensor_items)

NAME = 'eva02'
DROPPED = {
    'cls_token': 'class token: detection has none',
    'mask_token': 'masked-modelling token: pre-training only',
}
PRETRAIN_PARTS = {
    'lm_head.': 'MIM head (predicts EVA-CLIP features): pre-training only',
    'norm.': 'final norm: the detector taps block outputs without it',
    'fc_norm.': 'final norm: the detector taps block outputs without it',
    'head.': 'classifier: not in the detector',
    'rope.': 'RoPE sin/cos tables: recomputed at the input grid from theta 10000',
}
BLOCK_RENAMES = {'norm1.': 'norm1.', 'norm2.': 'norm2.', 'attn.q_bias': 'attn.q_bias',
                 'attn.v_bias': 'attn.v_bias', 'attn.proj.': 'attn.proj.', 'mlp.w1.': 'mlp.w1.',
                 'mlp.w2.': 'mlp.w2.', 'mlp.w3.': 'mlp.w3.', 'mlp.ffn_ln.': 'mlp.norm.',
                 'gamma_1': 'gamma_1', 'gamma_2': 'gamma_2'}
QKV = ('attn.q_proj', 'attn.k_proj', 'attn.v_proj')
_ROPE = re.compile(r'(blocks\.\d+\.attn\.)?rope\.')

# heads of every released width: the weights cannot show them
HEADS_BY_WIDTH = {192: 3, 384: 6, 768: 12, 1024: 16}


def matches(state: Mapping) -> bool:
    return 'patch_embed.proj.weight' in state and 'blocks.0.attn.q_proj.weight' in state and any(
        k.startswith('blocks.0.mlp.w') for k in state)


def convert(state: Mapping, path: str) -> ConvertedCheckpoint:
    ckpt = ConvertedCheckpoint(path, NAME)
    qkv, unknown = defaultdict(dict), []
    for key, value in tensor_items(state):
        blk = block_key(key)
        reason = next((why for p, why in PRETRAIN_PARTS.items() if key.startswith(p)), None)
        if key in DROPPED:
            ckpt.drop(key, value, DROPPED[key])
        elif _ROPE.match(key):
            ckpt.drop(key, value, PRETRAIN_PARTS['rope.'])
        elif reason:
            ckpt.drop(key, value, reason)
        elif key == 'pos_embed':
            strip_extra_tokens(ckpt, key, value, 1)
        elif key.startswith('patch_embed.proj.'):
            ckpt.add(key, value, key)
        elif blk is not None and blk[1].startswith(QKV):
            qkv[blk[0]][key] = value
        elif blk is not None and rename_part(blk[1], BLOCK_RENAMES):
            ckpt.add(f'blocks.{blk[0]}.{rename_part(blk[1], BLOCK_RENAMES)}', value, key)
        else:
            unknown.append(key)
    raise_unknown(ckpt, unknown)
    for index, parts in sorted(qkv.items()):
        add_fused_qkv(ckpt, index, parts, tuple(f'blocks.{index}.{n}' for n in QKV))
    ckpt.meta['rope'] = dict(release_rope.EVA02)
    ckpt.meta['release'] = 'EVA-02'
    ckpt.meta['norm_eps'] = 1e-6
    ckpt.set_heads_by_width(HEADS_BY_WIDTH, 'the EVA-02 release of width {width} (64-wide heads)')
    return ckpt
