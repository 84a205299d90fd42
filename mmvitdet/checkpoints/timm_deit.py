"""timm / DeiT / DeiT III layout (also MAE's and MoCo v3's encoders).

Keys: ``cls_token``, optional ``dist_token`` (DeiT distilled), ``pos_embed``
[1, extra + N, C] (DeiT III: [1, N, C], no slot), ``patch_embed.proj.*``,
``blocks.N.{norm1, attn.qkv, attn.proj, norm2, mlp.fc1, mlp.fc2}``, optional
``blocks.N.gamma_1/gamma_2`` (DeiT III; timm names them ``ls1.gamma``/
``ls2.gamma``), and the classifier ``norm``, ``fc_norm``, ``head``,
``head_dist``. Files are ``{'model': state_dict}`` or the bare state dict.

timm hub files (``model.safetensors`` of ``timm/vit_*``) use the same names,
plus: ``reg_token`` [1, R, C] (register tokens, dropped like the class token;
``pos_embed`` may or may not hold slots for them), no ``cls_token`` (SigLIP,
``class_token=False``), ``norm_pre`` (CLIP ports: the ViT's ``pre_norm``) and
the attention-pooling head ``attn_pool``.
"""
from typing import Mapping

from .converted import (ConvertedCheckpoint, block_key, raise_unknown,
                        strip_extra_tokens, tensor_items)

NAME = 'timm'
# Classifier parts: the detector taps block outputs, without final norm/head.
CLASSIFIER_PREFIXES = ('norm.', 'fc_norm.', 'head.', 'head_dist.',
                       'pre_logits.', 'attn_pool.')
TOKENS = {'cls_token': 'class token: detection has none',
          'dist_token': 'distillation token: detection has none',
          'reg_token': 'register tokens: detection has no extra tokens'}
BLOCK_RENAMES = {'ls1.gamma': 'gamma_1', 'ls2.gamma': 'gamma_2'}
BLOCK_PARTS = ('norm1.', 'norm2.', 'attn.qkv.', 'attn.proj.', 'mlp.fc1.',
               'mlp.fc2.', 'gamma_1', 'gamma_2')


def matches(state: Mapping) -> bool:
    return 'patch_embed.proj.weight' in state and any(
        k.startswith('blocks.') for k in state)


def convert_into(ckpt: ConvertedCheckpoint, state: Mapping,
                 src_prefix: str = '') -> None:
    """Read timm-layout ``state`` into ``ckpt`` (used by MAE and MoCo v3 too).

    ``src_prefix`` is what the keys of ``state`` had in the file (e.g.
    'module.base_encoder.'), so that reports name the keys as stored.
    """
    num_extra = int('cls_token' in state) + int('dist_token' in state)
    num_reg = state['reg_token'].shape[1] if 'reg_token' in state else 0
    unknown = []
    for key, value in tensor_items(state):
        src = src_prefix + key
        blk = block_key(key)
        if key in TOKENS:
            ckpt.drop(src, value, TOKENS[key])
        elif key == 'pos_embed':
            strip_extra_tokens(ckpt, src, value, num_extra,
                               alternatives=(num_extra + num_reg, ))
        elif key.startswith(('patch_embed.proj.', 'norm_pre.')):
            ckpt.add(key, value, src)
        elif key.startswith(CLASSIFIER_PREFIXES):
            ckpt.drop(src, value, 'classifier norm/head: not in the detector')
        elif blk is not None and (blk[1] in BLOCK_RENAMES
                                  or blk[1].startswith(BLOCK_PARTS)):
            part = BLOCK_RENAMES.get(blk[1], blk[1])
            ckpt.add(f'blocks.{blk[0]}.{part}', value, src)
        else:
            unknown.append(src)
    raise_unknown(ckpt, unknown)


def convert(state: Mapping, path: str) -> ConvertedCheckpoint:
    ckpt = ConvertedCheckpoint(path, NAME)
    convert_into(ckpt, state)
    return ckpt
