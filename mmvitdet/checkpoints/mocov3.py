"""MoCo v3 release layout (facebookresearch/moco-v3).

``{'epoch', 'arch', 'state_dict', 'optimizer', 'scaler'}``; the state dict holds
``module.base_encoder.*`` (a timm ViT whose ``head`` is the projection MLP),
``module.momentum_encoder.*`` and ``module.predictor.*``. Only the base
encoder minus its head is kept. Files saved without DDP lack ``module.``.
"""
from typing import Mapping

from . import timm_deit
from .converted import ConvertedCheckpoint, raise_unknown

NAME = 'mocov3'
DROPPED = {
    'momentum_encoder.': 'MoCo v3 momentum encoder: pre-training only',
    'predictor.': 'MoCo v3 predictor: pre-training only',
}


def _root(state: Mapping) -> str:
    return 'module.' if any(k.startswith('module.') for k in state) else ''


def matches(state: Mapping) -> bool:
    return any(k.startswith(_root(state) + 'base_encoder.') for k in state)


def convert(state: Mapping, path: str) -> ConvertedCheckpoint:
    ckpt = ConvertedCheckpoint(path, NAME)
    root = _root(state)
    encoder, unknown = {}, []
    base = root + 'base_encoder.'
    for key, value in state.items():
        rest = key[len(root):] if key.startswith(root) else None
        if key.startswith(base + 'head.'):
            ckpt.drop(key, value, 'MoCo v3 projection head: pre-training only')
        elif key.startswith(base):
            encoder[key[len(base):]] = value
        elif rest is not None and rest.startswith(tuple(DROPPED)):
            ckpt.drop(key, value, DROPPED[rest.split('.')[0] + '.'])
        else:
            unknown.append(key)
    raise_unknown(ckpt, unknown)
    timm_deit.convert_into(ckpt, encoder, src_prefix=base)
    return ckpt
