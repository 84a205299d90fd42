"""DINO and iBOT release layouts (facebookresearch/dino, bytedance/ibot).

- The pretrained backbones (``dino_vitbase16_pretrain.pth``) are a bare timm
  state dict and read as ``timm``; ``format='dino'`` reads them too.
- Full training checkpoints ``{'student', 'teacher', 'optimizer', 'epoch',
  'args', 'dino_loss', ...}``: the teacher is taken (DINO's own evaluations
  use it), whose keys are ``backbone.*`` (the ViT, timm names) and
  ``head.*`` (the projection head, dropped); the student's are
  ``module.backbone.*`` / ``module.head.*`` (DDP), accepted too when given.
- iBOT's ``checkpoint_teacher.pth`` is ``{'state_dict': ...}`` with the same
  names, plus ``masked_embed`` (its mask token) in the backbone.
"""
from typing import Mapping

from . import timm_deit
from .converted import ConvertedCheckpoint, raise_unknown, tensor_items

NAME = 'dino'
ROOTS = ('module.backbone.', 'backbone.')
HEADS = ('module.head.', 'head.')
MASK_TOKEN = 'masked_embed'


def _root(state: Mapping) -> str:
    return next((r for r in ROOTS if r + 'patch_embed.proj.weight' in state),
                '')


def matches(state: Mapping) -> bool:
    root = _root(state)
    if root:
        return root + 'cls_token' in state
    return timm_deit.matches(state) and MASK_TOKEN in state


def convert(state: Mapping, path: str) -> ConvertedCheckpoint:
    ckpt = ConvertedCheckpoint(path, NAME)
    root = _root(state)
    encoder, unknown = {}, []
    for key, value in tensor_items(state):
        if key.startswith(HEADS):
            ckpt.drop(key, value, 'DINO / iBOT projection head: pre-training '
                      'only')
        elif key == root + MASK_TOKEN:
            ckpt.drop(key, value, 'iBOT mask token: pre-training only')
        elif key.startswith(root):
            encoder[key[len(root):]] = value
        else:
            unknown.append(key)
    raise_unknown(ckpt, unknown)
    timm_deit.convert_into(ckpt, encoder, src_prefix=root)
    return ckpt
