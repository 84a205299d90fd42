"""Hugging Face transformers AIMv2 (``Aimv2VisionModel``; the image tower of ``Aimv2Model`` under
``vision_model.``).

``embeddings.{patch_embed (a Conv2d), rms_norm, position_embedding.weight [N, C]}``,
``encoder.layers.N.{rms_norm1, attention.{q,k,v,out}_proj, rms_norm2, ffn.{gate_proj, up_proj,
down_proj}}``, the final ``rms_norm`` and the pooling ``head``; the full model adds ``text_model.*`` and the
projections. No class token; RMSNorm; no biases in attention or FFN.
"""
import re
from collections import defaultdict
from typing import Mapping

from .converted import ConvertedCheckpoint, add_fused_qkv, raise_unknown, rename_part, tensor_items
from .errors import CheckpointError

NAME = 'hf_aimv2'
PREFIXES = ('vision_model.', '')
PATCH = 'embeddings.patch_embed.weight'
OUTSIDE = ('text_model.', 'visual_projection.', 'text_projection.', 'logit_scale')
DROPPED = {'rms_norm.': 'final norm: the detector taps block outputs without it',
           'head.': 'attention-pooling head: not in the detector',
           'embeddings.position_ids': 'index buffer: not a weight'}
BLOCK_RENAMES = {'rms_norm1.': 'norm1.', 'rms_norm2.': 'norm2.', 'attention.out_proj.': 'attn.proj.',
                 'ffn.gate_proj.': 'mlp.w1.', 'ffn.up_proj.': 'mlp.w2.', 'ffn.down_proj.': 'mlp.w3.'}
QKV = ('attention.q_proj', 'attention.k_proj', 'attention.v_proj')
_LAYER = re.compile(r'encoder\.layers\.(\d+)\.(.+)$')


def _prefix(state: Mapping):
    return next((p for p in PREFIXES if p + PATCH in state), None)


def matches(state: Mapping) -> bool:
    p = _prefix(state)
    return p is not None and any(k.startswith(p + 'encoder.layers.0.rms_norm1') for k in state)


def convert(state: Mapping, path: str) -> ConvertedCheckpoint:
    ckpt = ConvertedCheckpoint(path, NAME)
    prefix = _prefix(state)
    qkv, unknown = defaultdict(dict), []
    for key, value in tensor_items(state):
        if not key.startswith(prefix) or (prefix == '' and key.startswith(OUTSIDE)):
            if key.startswith(OUTSIDE):
                ckpt.drop(key, value, 'text tower / projections: not in the detector')
            else:
                unknown.append(key)
            continue
        part = key[len(prefix):]
        m = _LAYER.match(part)
        reason = next((why for p, why in DROPPED.items() if part.startswith(p)), None)
        if reason:
            ckpt.drop(key, value, reason)
        elif part.startswith('embeddings.patch_embed.'):
            ckpt.add('patch_embed.proj.' + part.rsplit('.', 1)[1], value, key)
        elif part.startswith('embeddings.rms_norm.'):
            ckpt.add('patch_norm.weight', value, key)
        elif part == 'embeddings.position_embedding.weight':
            if value.dim() != 2:
                raise CheckpointError(f'{path}: {key} has shape {list(value.shape)}; expected [tokens, width].')
            ckpt.add('pos_embed', value[None], key, 'batch dimension added', src_shape=tuple(value.shape))
        elif m and m.group(2).startswith(QKV):
            qkv[int(m.group(1))][key] = value
        elif m and rename_part(m.group(2), BLOCK_RENAMES):
            ckpt.add(f'blocks.{m.group(1)}.{rename_part(m.group(2), BLOCK_RENAMES)}', value, key)
        else:
            unknown.append(key)
    raise_unknown(ckpt, unknown)
    for index, parts in sorted(qkv.items()):
        add_fused_qkv(ckpt, index, parts, tuple(f'{prefix}encoder.layers.{index}.{n}' for n in QKV))
    ckpt.meta['norm_type'] = 'rms_norm'
    ckpt.meta['release'] = 'AIMv2'
    return ckpt
