"""DINOv3 hub layout (facebookresearch/dinov3, ``dinov3_vit{s,b,l}16_pretrain_lvd1689m-*.pth``,
``dinov3_vith16plus_pretrain_lvd1689m-*.pth``).

A plain state dict: ``cls_token`` [1, 1, C], ``storage_tokens`` [1, 4, C], ``mask_token`` [1, C],
``patch_embed.proj``, ``rope_embed.periods`` [D/4] (RoPE only, no abs position), ``blocks.N.{norm1,
attn.qkv (weight, bias, bias_mask), attn.proj, ls1.gamma, norm2, mlp.fc1 / mlp.fc2 (GELU MLP) or mlp.w1 /
mlp.w2 / mlp.w3 (H+'s SwiGLU), ls2.gamma}``, ``norm`` (and ``cls_norm`` / ``local_cls_norm`` in some).

``qkv.bias_mask`` zeroes the key third of the qkv bias in the release's forward; that is the ViT's
``qkv_bias='qv'`` (q and v biases, key bias fixed at zero), so the key third is dropped. The stored
``periods`` are kept as they are (the release rounds them to bf16 and uses the stored values).
"""
from typing import Mapping

from . import release_rope
from .converted import ConvertedCheckpoint, block_key, raise_unknown, rename_part, tensor_items

NAME = 'dinov3'
DROPPED = {
    'cls_token': 'class token: detection has none',
    'storage_tokens': 'storage (register) tokens: detection has no extra tokens (dropped like the class token)',
    'mask_token': 'masked-modelling token: pre-training only',
}
FINAL_NORMS = ('norm.', 'cls_norm.', 'local_cls_norm.')
BLOCK_RENAMES = {'ls1.gamma': 'gamma_1', 'ls2.gamma': 'gamma_2', 'norm1.': 'norm1.', 'norm2.': 'norm2.',
                 'attn.qkv.weight': 'attn.qkv.weight', 'attn.proj.': 'attn.proj.', 'mlp.fc1.': 'mlp.fc1.',
                 'mlp.fc2.': 'mlp.fc2.', 'mlp.w1.': 'mlp.w1.', 'mlp.w2.': 'mlp.w2.', 'mlp.w3.': 'mlp.w3.'}

# heads of every released width: the weights cannot show them
HEADS_BY_WIDTH = {384: 6, 768: 12, 1024: 16, 1280: 20, 4096: 32}


def matches(state: Mapping) -> bool:
    return 'patch_embed.proj.weight' in state and ('storage_tokens' in state or 'rope_embed.periods' in state)


def _add_qkv_bias(ckpt: ConvertedCheckpoint, index: int, state: Mapping) -> None:
    src = f'blocks.{index}.attn.qkv.bias'
    bias, mask = state[src], state.get(f'blocks.{index}.attn.qkv.bias_mask')
    q, k, v = bias.chunk(3)
    if mask is not None:
        ckpt.drop(src + '_mask', mask, 'bias mask: the ViT applies it as qkv_bias=\'qv\'')
    if mask is not None and not mask.chunk(3)[1].any():
        ckpt.add(f'blocks.{index}.attn.q_bias', q, src, 'q third of qkv.bias', src_shape=tuple(bias.shape))
        ckpt.add(f'blocks.{index}.attn.v_bias', v, src, 'v third of qkv.bias (the k third is masked to zero '
                 'by qkv.bias_mask in the release)', src_shape=tuple(bias.shape))
    else:
        ckpt.add(f'blocks.{index}.attn.qkv.bias', bias * mask if mask is not None else bias, src)


def convert(state: Mapping, path: str) -> ConvertedCheckpoint:
    ckpt = ConvertedCheckpoint(path, NAME)
    unknown = []
    for key, value in tensor_items(state):
        blk = block_key(key)
        if key in DROPPED:
            ckpt.drop(key, value, DROPPED[key])
        elif key.startswith(FINAL_NORMS):
            ckpt.drop(key, value, 'final norm: the detector taps block outputs without it')
        elif key == 'rope_embed.periods':
            ckpt.add('rope.periods', value.float(), key, 'RoPE periods as released (bf16-rounded values kept)')
        elif key.startswith('patch_embed.proj.'):
            ckpt.add(key, value, key)
        elif blk is not None and blk[1] == 'attn.qkv.bias':
            _add_qkv_bias(ckpt, blk[0], state)
        elif blk is not None and blk[1] == 'attn.qkv.bias_mask':
            continue  # handled with the bias
        elif blk is not None and rename_part(blk[1], BLOCK_RENAMES):
            ckpt.add(f'blocks.{blk[0]}.{rename_part(blk[1], BLOCK_RENAMES)}', value, key)
        else:
            unknown.append(key)
    raise_unknown(ckpt, unknown)
    ckpt.meta['rope'] = dict(release_rope.DINOV3)
    ckpt.meta['release'] = 'DINOv3'
    ckpt.meta['norm_eps'] = 1e-5
    ckpt.set_heads_by_width(HEADS_BY_WIDTH, 'the DINOv3 release of width {width} (64-wide heads; ViT-7B: 128)')
    return ckpt
