"""Segment Anything's image encoder (facebookresearch/segment-anything ``sam_vit_{b,l,h}_*.pth``, and the Hugging
Face ``SamModel`` folder layout).

The release files hold the whole SAM model as a bare state dict: ``image_encoder.*`` (a ViTDet-style ViT: 14 x 14
windows, global blocks, decomposed relative position per block, abs position [1, 64, 64, C] channels-last without
a class slot, pre-trained at 1024 px), ``prompt_encoder.*`` and ``mask_decoder.*``. transformers names the encoder
``vision_encoder.*`` (``layers.N.layer_norm1``, ``patch_embed.projection``) and adds ``shared_image_embedding``.
The encoder's ``neck`` (conv 1x1 -> LN -> conv 3x3 -> LN to 256 channels) feeds SAM's mask decoder; the
detector has its own neck, so it is dropped with the prompt encoder and the mask decoder.
"""
from typing import Mapping

from .converted import ConvertedCheckpoint, block_key, raise_unknown, rename_part, tensor_items
from .errors import CheckpointError

NAME = 'sam'
# (encoder prefix, block container, block part renames, patch projection) per layout
LAYOUTS = {
    'image_encoder.': ('blocks.', {'mlp.lin1.': 'mlp.fc1.', 'mlp.lin2.': 'mlp.fc2.'}, 'patch_embed.proj.'),
    'vision_encoder.': ('layers.', {'layer_norm1.': 'norm1.', 'layer_norm2.': 'norm2.', 'mlp.lin1.': 'mlp.fc1.',
                                    'mlp.lin2.': 'mlp.fc2.'}, 'patch_embed.projection.'),
}
KEPT_PARTS = ('norm1.', 'norm2.', 'attn.qkv.', 'attn.proj.')
DECOMPOSED = {'attn.rel_pos_h': 'attn.rel_pos.rel_pos_h', 'attn.rel_pos_w': 'attn.rel_pos.rel_pos_w'}
PROMPT_PARTS = ('prompt_encoder.', 'mask_decoder.', 'shared_image_embedding.')


def _encoder_prefix(state: Mapping):
    return next((p for p in LAYOUTS if f'{p}pos_embed' in state or any(k.startswith(p + 'blocks.') or
                                                                        k.startswith(p + 'layers.') for k in state)),
                None)


def matches(state: Mapping) -> bool:
    """SAM's image encoder, or a SAM file that lacks it (refused in :func:`convert` with the fix)."""
    if _encoder_prefix(state) is not None:
        return True
    return bool(state) and all(str(k).startswith(PROMPT_PARTS) for k in state)


def convert(state: Mapping, path: str) -> ConvertedCheckpoint:
    prefix = _encoder_prefix(state)
    if prefix is None:
        first = sorted(state)[0]
        raise CheckpointError(
            f'{path}: holds SAM\'s prompt encoder / mask decoder ({first}, ...) but no image encoder '
            '(image_encoder.* or vision_encoder.*): the detector needs the encoder. Use the full SAM release '
            '(e.g. sam_vit_b_01ec64.pth from https://github.com/facebookresearch/segment-anything).')
    container, renames, patch = LAYOUTS[prefix]
    ckpt = ConvertedCheckpoint(path, NAME)
    unknown = []
    for key, value in tensor_items(state):
        if not key.startswith(prefix):
            if key.startswith(PROMPT_PARTS):
                ckpt.drop(key, value, 'SAM prompt encoder / mask decoder: not in the detector')
            else:
                unknown.append(key)
            continue
        part = key[len(prefix):]
        blk = block_key(part, container)
        if part == 'pos_embed':
            if value.dim() != 4:
                raise CheckpointError(f'{path}: {key} has shape {list(value.shape)}; SAM stores the abs position '
                                      'embedding channels-last as [1, H, W, C]. Is this a SAM checkpoint?')
            ckpt.add('pos_embed', value.flatten(1, 2), key, 'channels-last [1, H, W, C] -> [1, H*W, C]',
                     src_shape=tuple(value.shape))
            ckpt.meta['pretrain_grid'] = tuple(value.shape[1:3])
        elif part.startswith(patch):
            ckpt.add('patch_embed.proj.' + part[len(patch):], value, key)
        elif part.startswith('neck.'):
            ckpt.drop(key, value, "SAM encoder neck (to the mask decoder's 256 channels): the detector has its own")
        elif blk is not None:
            index, rest = blk
            renamed = DECOMPOSED.get(rest) or rename_part(rest, renames)
            if renamed is None and rest.startswith(KEPT_PARTS):
                renamed = rest
            if renamed is None:
                unknown.append(key)
            else:
                ckpt.add(f'blocks.{index}.{renamed}', value, key)
        else:
            unknown.append(key)
    raise_unknown(ckpt, unknown)
    return ckpt
