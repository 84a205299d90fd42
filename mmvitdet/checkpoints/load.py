"""Read an official checkpoint file and load it into a ViT, with a load report.

Replaces mmengine's ``PretrainedInit`` for the ViT: that one loads with
``strict=False`` and only logs mismatches, so a wrong file silently leaves a
randomly initialized backbone.
"""
from typing import Iterable, Optional, Tuple

import torch.nn as nn
from mmengine.logging import MMLogger, print_log

from .converted import ConvertedCheckpoint
from .detect import FORMATS, detect_format, unwrap_state_dict
from .errors import CheckpointError
from .file_formats import read_weights
from .patch_embed_resize import PATCH_EMBED_RESIZE_METHODS
from .rel_pos_resize import RESIZE_METHODS
from .report import LoadReport
from .standardize import standardize

# Keys a ViT ``init_cfg=dict(type='Pretrained', ...)`` may carry.
PRETRAINED_CFG_KEYS = ('type', 'checkpoint', 'format', 'rel_pos_resize',
                       'discard', 'map_location', 'patch_embed_resize')
# Containers that hold a second copy of the weights next to the one taken.
SECOND_COPIES = {'teacher': ('student', 'DINO / iBOT student: the teacher is '
                             "taken, as DINO's own evaluations do")}


def _apply_discard(state, discard: Tuple[str, ...], path: str):
    """Split ``state`` into kept keys and (key, shape, reason) dropped ones."""
    kept, dropped = {}, []
    hits = {p: 0 for p in discard}
    for key, value in state.items():
        prefix = next((p for p in discard if key.startswith(p)), None)
        if prefix is None:
            kept[key] = value
        else:
            hits[prefix] += 1
            dropped.append((key, tuple(getattr(value, 'shape', ())),
                            f'discarded on request (discard={list(discard)})'))
    unused = [p for p, n in hits.items() if n == 0]
    if unused:
        raise CheckpointError(
            f'{path}: discard={unused} matches no key of the file; discard '
            'takes key prefixes exactly as the file stores them (see the '
            'error that suggested it).')
    return kept, dropped


def read_checkpoint(path: str,
                    format: str = 'auto',
                    discard: Iterable[str] = (),
                    map_location='cpu') -> ConvertedCheckpoint:
    """Read ``path`` without unpickling code and convert it to ViT keys.

    Args:
        path: checkpoint file (``.pth``/``.pt``/``.bin``, ``.safetensors``,
            a TorchScript archive), a Hugging Face model folder, or an http(s)
            URL (downloaded once into the torch hub folder); any layout in
            ``FORMATS``. See ``file_formats.read_weights``.
        format: 'auto' (detect from the keys) or one of ``FORMATS``.
        discard: key prefixes (as stored in the file) to drop on purpose.
        map_location: as for ``torch.load``.
    """
    if format != 'auto' and format not in FORMATS:
        raise CheckpointError(f'{path}: format={format!r} is unknown: choose '
                              f"'auto' or one of {list(FORMATS)}.")
    loaded = read_weights(path, map_location)
    obj = loaded.obj
    state, container = unwrap_state_dict(obj, path)
    state, dropped = _apply_discard(state, tuple(discard), path)
    other, why = SECOND_COPIES.get(container, (None, ''))
    if other in obj:
        dropped.append((other, (), why))
    name = detect_format(state, path) if format == 'auto' else format
    ckpt = FORMATS[name].convert(state, path)
    if format != 'auto':
        ckpt.detected = next((n for n, module in FORMATS.items() if module.matches(state)), None)
    ckpt.dropped = dropped + ckpt.dropped
    ckpt.meta['reader'] = loaded.reader
    if loaded.config is not None:
        ckpt.meta['hf_config'] = loaded.config
    meta = obj.get('meta') if isinstance(obj, dict) else None
    if isinstance(meta, dict) and isinstance(meta.get('mmvitdet'), dict):
        ckpt.meta.update(meta['mmvitdet'])
    return ckpt


def load_pretrained(model: nn.Module,
                    checkpoint: str,
                    format: str = 'auto',
                    rel_pos_resize: str = 'geometric',
                    discard: Iterable[str] = (),
                    map_location='cpu',
                    logger: Optional[MMLogger] = None,
                    patch_embed_resize: Optional[str] = None) -> LoadReport:
    """Convert ``checkpoint`` and load it into the ViT ``model`` (strict).

    ``patch_embed_resize`` ('pinv' | 'bilinear', default None: the patch
    sizes must agree) resizes the file's patch kernel to the model's.

    The report is logged (mmengine's current logger unless ``logger``) and
    returned. Any mismatch raises :class:`CheckpointError` before the model is
    touched.
    """
    if rel_pos_resize not in RESIZE_METHODS:
        raise CheckpointError(
            f'rel_pos_resize={rel_pos_resize!r} is unknown: choose one of '
            f'{RESIZE_METHODS}.')
    if patch_embed_resize not in (None, *PATCH_EMBED_RESIZE_METHODS):
        raise CheckpointError(
            f'{checkpoint}: patch_embed_resize={patch_embed_resize!r} is '
            f'unknown: choose one of {PATCH_EMBED_RESIZE_METHODS}, or leave '
            'it out to require the model\'s patch size in the file.')
    ckpt = read_checkpoint(checkpoint, format, discard, map_location)
    state, report = standardize(ckpt, model, rel_pos_resize,
                                patch_embed_resize)
    model.load_state_dict(state, strict=True)
    print_log(report.to_text(), logger=logger or 'current')
    return report


def pretrained_init_cfg(init_cfg) -> Optional[dict]:
    """The ``Pretrained`` entry of a ViT ``init_cfg`` as load_pretrained kwargs.

    Returns None when ``init_cfg`` has no Pretrained entry.
    """
    cfgs = init_cfg if isinstance(init_cfg, (list, tuple)) else [init_cfg]
    cfgs = [c for c in cfgs if c]
    pretrained = [c for c in cfgs if c.get('type') == 'Pretrained']
    if not pretrained:
        return None
    if len(cfgs) > 1:
        raise CheckpointError(
            f'ViT init_cfg={init_cfg}: give the Pretrained entry alone (the '
            'ViT has its own random init for whatever the file lacks).')
    cfg = dict(pretrained[0])
    extra = sorted(set(cfg) - set(PRETRAINED_CFG_KEYS))
    if extra:
        raise CheckpointError(
            f'ViT init_cfg has unknown key(s) {extra}; allowed: '
            f'{list(PRETRAINED_CFG_KEYS)}. (mmengine\'s "prefix" is not needed: '
            'the layout, including "backbone." prefixes, is detected.)')
    if not cfg.get('checkpoint'):
        raise CheckpointError(
            "ViT init_cfg=dict(type='Pretrained') needs checkpoint=<file>.")
    cfg.pop('type')
    cfg['discard'] = tuple(cfg.get('discard', ()))
    return cfg
