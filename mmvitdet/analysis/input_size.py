"""Rewrite a detector config to another square input size (for cost runs on small devices).

The paper's cost numbers are at 1024x1024; a CPU cannot train that in reasonable time, so
the cost benchmark can run every config at, e.g., 256 instead. The backbone's ``img_size``,
every pipeline scale / crop size / pad size equal to the configured input, and a pad size
divisor equal to it all move to the new size together, so the model sees exactly the new
size (no padding to the old one).
"""
from typing import Any, List, Tuple

from mmengine.config import Config

# Keys of mmdet transforms / batch augments that hold the input size.
SIZE_KEYS = ('scale', 'crop_size', 'size', 'img_scale', 'image_size')


def _pair(value) -> Tuple[int, int]:
    if isinstance(value, int):
        return (value, value)
    return tuple(int(v) for v in value)


def configured_input_size(cfg: Config, source: str = 'config') -> Tuple[int, int]:
    """(H, W) of ``model.backbone.img_size``; the input size every ViT config declares."""
    backbone = cfg.get('model', {}).get('backbone', {})
    if 'img_size' not in backbone:
        raise KeyError(f'{source}: model.backbone has no img_size, so the input size is unknown; '
                       'the cost benchmark and --img-size need a ViT backbone config with img_size.')
    return _pair(backbone['img_size'])


def _rewrite(node: Any, old: Tuple[int, int], new: Tuple[int, int], path: str,
             changes: List[str]) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            where = f'{path}.{key}' if path else str(key)
            if (key in SIZE_KEYS and isinstance(value, (list, tuple)) and len(value) == 2
                    and _pair(value) == old):
                node[key] = type(value)(new) if isinstance(value, tuple) else list(new)
                changes.append(f'{where}: {tuple(value)} -> {new}')
            elif key == 'pad_size_divisor' and value == old[0] and old[0] == old[1]:
                node[key] = new[0]
                changes.append(f'{where}: {value} -> {new[0]}')
            else:
                _rewrite(value, old, new, where, changes)
    elif isinstance(node, (list, tuple)):
        for i, value in enumerate(node):
            _rewrite(value, old, new, f'{path}[{i}]', changes)


def rewrite_input_size(cfg: Config, size: int, source: str = 'config') -> List[str]:
    """Set the square input size of ``cfg`` to ``size`` (in place); return the changes made.

    Raises when the size is not a multiple of the backbone's patch size.
    """
    old = configured_input_size(cfg, source)
    patch = cfg.model.backbone.get('patch_size', 16)
    if size <= 0 or size % patch:
        raise ValueError(f'--img-size {size}: must be a positive multiple of the patch size '
                         f'{patch} of {source}.')
    new = (size, size)
    changes = [f'model.backbone.img_size: {old} -> {new}'] if old != new else []
    cfg.model.backbone.img_size = new
    if old != new:
        # The backbone is done; everything else is searched. Top-level values (e.g. an
        # ``image_size`` variable) are written back since the walk replaces them in ``tree``.
        tree = {k: cfg[k] for k in cfg.keys() if k != 'model'}
        tree['model'] = {k: v for k, v in cfg.model.items() if k != 'backbone'}
        _rewrite(tree, old, new, '', changes)
        for key, value in tree.items():
            if key != 'model':
                cfg[key] = value
    return changes
