"""AIMv2 in apple/ml-aim's layout (``aimv2-{large,huge}-patch14-224``, ``model.safetensors``).

``preprocessor.patchifier.{proj (14 x 14, with bias), norm (RMSNorm)}``, ``preprocessor.pos_embed``
[1, 16*16, C] (no class slot, no class token), ``trunk.blocks.N.{norm_1, attn.qkv, attn.proj, norm_2,
mlp.fc1, mlp.fc2, mlp.fc3}`` (RMSNorm; no biases in attention or MLP; SwiGLU ``fc2(silu(fc1 x) * fc3 x)``),
``trunk.post_trunk_norm`` and a ``head``. fc1 / fc3 / fc2 are the ViT SwiGLU's w1 (gate) / w2 (value) / w3.
"""
from typing import Mapping

from .converted import ConvertedCheckpoint, block_key, raise_unknown, rename_part, tensor_items

NAME = 'aimv2'
BLOCKS = 'trunk.blocks.'
TOP = {'preprocessor.patchifier.proj.': 'patch_embed.proj.', 'preprocessor.patchifier.norm.': 'patch_norm.',
       'preprocessor.pos_embed': 'pos_embed'}
DROPPED = {'trunk.post_trunk_norm.': 'final norm: the detector taps block outputs without it',
           'head.': 'AIMv2 head (attention pooling / decoder): not in the detector'}
BLOCK_RENAMES = {'norm_1.': 'norm1.', 'norm_2.': 'norm2.', 'attn.qkv.': 'attn.qkv.', 'attn.proj.': 'attn.proj.',
                 'mlp.fc1.': 'mlp.w1.', 'mlp.fc3.': 'mlp.w2.', 'mlp.fc2.': 'mlp.w3.'}

# heads of every released width: the weights cannot show them
HEADS_BY_WIDTH = {1024: 8, 1536: 12, 2048: 16, 3072: 24}


def matches(state: Mapping) -> bool:
    return 'preprocessor.patchifier.proj.weight' in state


def convert(state: Mapping, path: str) -> ConvertedCheckpoint:
    ckpt = ConvertedCheckpoint(path, NAME)
    unknown = []
    for key, value in tensor_items(state):
        blk = block_key(key, BLOCKS)
        top = rename_part(key, TOP)
        reason = next((why for p, why in DROPPED.items() if key.startswith(p)), None)
        if reason:
            ckpt.drop(key, value, reason)
        elif top is not None:
            ckpt.add(top, value, key)
        elif blk is not None and rename_part(blk[1], BLOCK_RENAMES):
            ckpt.add(f'blocks.{blk[0]}.{rename_part(blk[1], BLOCK_RENAMES)}', value, key)
        else:
            unknown.append(key)
    raise_unknown(ckpt, unknown)
    ckpt.meta['norm_type'] = 'rms_norm'
    ckpt.meta['release'] = 'AIMv2'
    ckpt.meta['norm_eps'] = 1e-5
    ckpt.set_heads_by_width(HEADS_BY_WIDTH, 'the AIMv2 release of width {width} (128-wide heads)')
    return ckpt
