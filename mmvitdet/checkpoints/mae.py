"""MAE release layout (facebookresearch/mae).

``{'model': state_dict}`` with the timm encoder keys (``pos_embed`` is the
fixed sin-cos table, saved with its cls slot). The pre-training files for
visualisation also hold the decoder (``decoder_*``) and ``mask_token``; the
plain ``mae_pretrain_vit_*.pth`` files hold the encoder only and read the same
as a timm file.
"""
from typing import Mapping

from . import timm_deit
from .converted import ConvertedCheckpoint

NAME = 'mae'
DECODER_PREFIXES = ('decoder_', 'mask_token')


def matches(state: Mapping) -> bool:
    return timm_deit.matches(state) and any(
        k.startswith(DECODER_PREFIXES) for k in state)


def convert(state: Mapping, path: str) -> ConvertedCheckpoint:
    ckpt = ConvertedCheckpoint(path, NAME)
    encoder = {}
    for key, value in state.items():
        if key.startswith(DECODER_PREFIXES):
            ckpt.drop(key, value, 'MAE decoder / mask token: pre-training only')
        else:
            encoder[key] = value
    timm_deit.convert_into(ckpt, encoder)
    return ckpt
