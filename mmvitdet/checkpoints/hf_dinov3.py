"""Hugging Face transformers ``DINOv3ViTModel`` (e.g. ``facebook/dinov3-vitb16-pretrain-lvd1689m``).

``embeddings.{cls_token, mask_token, register_tokens, patch_embeddings (a Conv2d)}``, ``layer.N.{norm1,
attention.{q_proj, k_proj, v_proj, o_proj}, layer_scale1.lambda1, norm2, mlp.{up_proj, down_proj} (GELU MLP)
or mlp.{gate_proj, up_proj, down_proj} (SwiGLU), layer_scale2.lambda1}``, ``norm``. The key projection has no
bias (``key_bias=False``): q and v biases are the ViT's ``qkv_bias='qv'``. RoPE periods are not stored;
the model computes them from ``rope_theta`` in config.json (base 100), as does the ViT.
"""
import re
from collections import defaultdict
from typing import Mapping

from . import release_rope
from .converted import ConvertedCheckpoint, add_fused_qkv, raise_unknown, rename_part, tensor_items

NAME = 'hf_dinov3'
EMBEDDINGS_DROPPED = {
    'embeddings.cls_token': 'class token: detection has none',
    'embeddings.register_tokens': 'register (storage) tokens: detection has no extra tokens',
    'embeddings.mask_token': 'masked-modelling token: pre-training only',
}
PLAIN = {'norm1.': 'norm1.', 'norm2.': 'norm2.', 'attention.o_proj.': 'attn.proj.',
         'layer_scale1.lambda1': 'gamma_1', 'layer_scale2.lambda1': 'gamma_2'}
MLP = {'mlp.up_proj.': 'mlp.fc1.', 'mlp.down_proj.': 'mlp.fc2.'}
GATED = {'mlp.gate_proj.': 'mlp.w1.', 'mlp.up_proj.': 'mlp.w2.', 'mlp.down_proj.': 'mlp.w3.'}
QKV = ('attention.q_proj', 'attention.k_proj', 'attention.v_proj')
_LAYER = re.compile(r'layer\.(\d+)\.(.+)$')


def matches(state: Mapping) -> bool:
    return 'embeddings.patch_embeddings.weight' in state and 'layer.0.attention.q_proj.weight' in state


def convert(state: Mapping, path: str) -> ConvertedCheckpoint:
    ckpt = ConvertedCheckpoint(path, NAME)
    gated = any(k.endswith('mlp.gate_proj.weight') for k in state)
    renames = {**PLAIN, **(GATED if gated else MLP)}
    qkv, unknown = defaultdict(dict), []
    for key, value in tensor_items(state):
        m = _LAYER.match(key)
        if key in EMBEDDINGS_DROPPED:
            ckpt.drop(key, value, EMBEDDINGS_DROPPED[key])
        elif key.startswith('norm.'):
            ckpt.drop(key, value, 'final norm: the detector taps block outputs without it')
        elif key.startswith('embeddings.patch_embeddings.'):
            ckpt.add('patch_embed.proj.' + key.rsplit('.', 1)[1], value, key)
        elif m and m.group(2).startswith(QKV):
            qkv[int(m.group(1))][m.group(2)] = value
        elif m and rename_part(m.group(2), renames):
            ckpt.add(f'blocks.{m.group(1)}.{rename_part(m.group(2), renames)}', value, key)
        else:
            unknown.append(key)
    raise_unknown(ckpt, unknown)
    for index, parts in sorted(qkv.items()):
        src = {f'layer.{index}.{k}': v for k, v in parts.items()}
        names = tuple(f'layer.{index}.{n}' for n in QKV)
        weights = {k: v for k, v in src.items() if k.endswith('.weight')}
        add_fused_qkv(ckpt, index, weights, names)
        if f'{names[1]}.bias' in src:
            add_fused_qkv(ckpt, index, {k: v for k, v in src.items() if k.endswith('.bias')}, names)
        elif f'{names[0]}.bias' in src:
            ckpt.add(f'blocks.{index}.attn.q_bias', src[f'{names[0]}.bias'], f'{names[0]}.bias')
            ckpt.add(f'blocks.{index}.attn.v_bias', src[f'{names[2]}.bias'], f'{names[2]}.bias')
    ckpt.meta['rope'] = dict(release_rope.DINOV3)
    ckpt.meta['release'] = 'DINOv3'
    return ckpt
