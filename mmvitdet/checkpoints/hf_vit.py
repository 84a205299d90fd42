"""Hugging Face transformers ViT family: ViTModel, ViTMAEModel, Dinov2Model,
Dinov2WithRegistersModel (e.g. facebook/vit-mae-base, facebook/dino-vitb16,
facebook/dinov2-base, facebook/dinov2-with-registers-base).

``embeddings.{cls_token, mask_token, register_tokens, position_embeddings
[1, 1 + N, C], patch_embeddings.projection}``, ``encoder.layer.N.
{attention.attention.{query, key, value}, attention.output.dense}`` (q/k/v
are fused into qkv here), then ViT/ViTMAE ``layernorm_before``,
``intermediate.dense``, ``output.dense``, ``layernorm_after`` or DINOv2
``norm1``, ``mlp.fc1``, ``mlp.fc2``, ``norm2``, ``layer_scale{1,2}.lambda1``;
the final ``layernorm``, ``pooler``. Task models nest these under ``vit.`` /
``dinov2.`` (ViTMAEForPreTraining adds ``decoder.*``, classifiers
``classifier.*``, both dropped). DINOv2's SwiGLU MLP (giant) is refused.
"""
import re
from collections import defaultdict
from typing import Mapping

from .converted import (ConvertedCheckpoint, add_fused_qkv, raise_unknown,
                        rename_part, strip_extra_tokens, tensor_items)

NAME = 'hf_vit'
PREFIXES = ('vit.', 'dinov2.', '')
PATCH = 'embeddings.patch_embeddings.projection.'
TOKENS = {
    'embeddings.cls_token': 'class token: detection has none',
    'embeddings.mask_token': 'masked-modelling token: pre-training only',
    'embeddings.register_tokens': 'register tokens: detection has no extra '
                                  'tokens (dropped like the class token)',
}
OUTSIDE = {
    'decoder.': 'MAE decoder: pre-training only',
    'classifier.': 'classifier head: not in the detector',
}
FINAL = {'layernorm.': 'final norm: the detector taps block outputs without '
                       'it',
         'pooler.': 'pooler: not in the detector'}
BLOCK_RENAMES = {
    'attention.output.dense.': 'attn.proj.',
    'layernorm_before.': 'norm1.', 'norm1.': 'norm1.',
    'layernorm_after.': 'norm2.', 'norm2.': 'norm2.',
    'intermediate.dense.': 'mlp.fc1.', 'mlp.fc1.': 'mlp.fc1.',
    'output.dense.': 'mlp.fc2.', 'mlp.fc2.': 'mlp.fc2.',
    'layer_scale1.lambda1': 'gamma_1', 'layer_scale2.lambda1': 'gamma_2',
}
QKV = ('attention.attention.query', 'attention.attention.key',
       'attention.attention.value')
_LAYER = re.compile(r'encoder\.layer\.(\d+)\.(.+)$')


def _prefix(state: Mapping):
    return next((p for p in PREFIXES if p + PATCH + 'weight' in state), None)


def matches(state: Mapping) -> bool:
    p = _prefix(state)
    return p is not None and any(k.startswith(p + 'encoder.layer.')
                                 for k in state)


def convert(state: Mapping, path: str) -> ConvertedCheckpoint:
    ckpt = ConvertedCheckpoint(path, NAME)
    prefix = _prefix(state)
    qkv = defaultdict(dict)
    unknown = []
    for src, value in tensor_items(state):
        outside = next((w for p, w in OUTSIDE.items() if src.startswith(p)),
                       None)
        if not src.startswith(prefix) or outside:
            if outside:
                ckpt.drop(src, value, outside)
            else:
                unknown.append(src)
            continue
        key = src[len(prefix):]
        layer = _LAYER.match(key)
        final = next((w for p, w in FINAL.items() if key.startswith(p)), None)
        if key in TOKENS:
            ckpt.drop(src, value, TOKENS[key])
        elif final:
            ckpt.drop(src, value, final)
        elif key == 'embeddings.position_embeddings':
            num_extra = int(prefix + 'embeddings.cls_token' in state)
            strip_extra_tokens(ckpt, src, value, num_extra)
        elif key.startswith(PATCH):
            ckpt.add('patch_embed.proj.' + key[len(PATCH):], value, src)
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
            f'{prefix}encoder.layer.{block}.{n}' for n in QKV))
    return ckpt
