"""Hugging Face transformers CLIP and SigLIP: CLIPModel, CLIPVisionModel,
SiglipModel, SiglipVisionModel (e.g. openai/clip-vit-base-patch16,
google/siglip-base-patch16-224).

The image tower, under ``vision_model.`` (transformers 4.x; 5.x saves the
vision-only models without it): ``embeddings.{class_embedding [C] (CLIP
only), patch_embedding (CLIP: no bias), position_embedding.weight [(1 +) N,
C], position_ids}``, CLIP's ``pre_layrnorm``, ``encoder.layers.N.{layer_norm1,
self_attn.{q,k,v,out}_proj, layer_norm2, mlp.fc1, mlp.fc2}`` (q/k/v fused
into qkv here), ``post_layernorm`` and SigLIP's attention-pool ``head``
(dropped). The text tower (``text_model.*``), the projections and
``logit_scale`` / ``logit_bias`` are dropped; a file with only a text tower
is refused.
"""
import re
from collections import defaultdict
from typing import Mapping

from .converted import (ConvertedCheckpoint, add_fused_qkv, raise_unknown,
                        rename_part, strip_extra_tokens, tensor_items)
from .errors import CheckpointError

NAME = 'hf_clip'
PREFIXES = ('vision_model.', '')
PATCH = 'embeddings.patch_embedding.'
VISION_DROPPED = {
    'embeddings.class_embedding': 'class token: detection has none',
    'embeddings.position_ids': 'index buffer: not a weight',
    'post_layernorm.': 'final norm: the detector taps block outputs without '
                       'it',
    'head.': 'SigLIP attention-pooling head: not in the detector',
}
OUTSIDE = ('text_model.', 'visual_projection.', 'text_projection.',
           'logit_scale', 'logit_bias')
BLOCK_RENAMES = {'layer_norm1.': 'norm1.', 'layer_norm2.': 'norm2.',
                 'self_attn.out_proj.': 'attn.proj.', 'mlp.fc1.': 'mlp.fc1.',
                 'mlp.fc2.': 'mlp.fc2.'}
QKV = ('self_attn.q_proj', 'self_attn.k_proj', 'self_attn.v_proj')
_LAYER = re.compile(r'encoder\.layers\.(\d+)\.(.+)$')


def _prefix(state: Mapping):
    return next((p for p in PREFIXES if p + PATCH + 'weight' in state), None)


def matches(state: Mapping) -> bool:
    """The image tower, or a text tower alone (refused by convert)."""
    p = _prefix(state)
    if p is not None:
        return any(k.startswith(p + 'encoder.layers.') for k in state)
    return any(k.startswith('text_model.embeddings.') for k in state)


def convert(state: Mapping, path: str) -> ConvertedCheckpoint:
    ckpt = ConvertedCheckpoint(path, NAME)
    prefix = _prefix(state)
    if prefix is None:
        raise CheckpointError(
            f'{path}: holds only a text tower (text_model.*) and no image '
            'tower (vision_model.embeddings.patch_embedding.weight). Use the '
            'full CLIPModel / SiglipModel checkpoint or its vision model.')
    has_cls = prefix + 'embeddings.class_embedding' in state
    qkv = defaultdict(dict)
    unknown = []
    for src, value in tensor_items(state):
        if src.startswith(OUTSIDE):
            ckpt.drop(src, value, 'text tower / projection / logit scale: '
                      'not used by the detector')
            continue
        if not src.startswith(prefix):
            unknown.append(src)
            continue
        key = src[len(prefix):]
        layer = _LAYER.match(key)
        dropped = next((why for p, why in VISION_DROPPED.items()
                        if key == p or (p.endswith('.') and key.startswith(p))),
                       None)
        if dropped:
            ckpt.drop(src, value, dropped)
        elif key == 'embeddings.position_embedding.weight':
            strip_extra_tokens(ckpt, src, value[None], int(has_cls),
                               note='batch dimension added',
                               src_shape=tuple(value.shape))
        elif key.startswith(PATCH):
            ckpt.add('patch_embed.proj.' + key[len(PATCH):], value, src)
        elif key.startswith('pre_layrnorm.'):
            ckpt.add('norm_pre.' + key[len('pre_layrnorm.'):], value, src)
        elif layer and layer.group(2).startswith(QKV):
            qkv[int(layer.group(1))][src] = value
        elif layer and rename_part(layer.group(2), BLOCK_RENAMES):
            part = rename_part(layer.group(2), BLOCK_RENAMES)
            ckpt.add(f'blocks.{layer.group(1)}.{part}', value, src)
        else:
            unknown.append(src)
    raise_unknown(ckpt, unknown)
    for block, parts in sorted(qkv.items()):
        add_fused_qkv(ckpt, block, parts, tuple(
            f'{prefix}encoder.layers.{block}.{n}' for n in QKV))
    return ckpt
