"""Any COCO-format instance set in place of COCO: ``own_data`` in a config, applied at launch.

A config that inherits ``configs/_base_/datasets/own-data_coco-format.py`` (next to an init config)
carries ``own_data = dict(data_root=..., train=dict(ann_file=..., img=...), val=dict(...))``.
:func:`apply_own_data` (called by tools/train.py, tools/test.py and tools/demo.py through
``load_launch_config``) points the train/val/test datasets and the CocoMetric at those files, reads
the class names from the train annotation file (categories in id order) and sets them as the
datasets' ``metainfo`` and as every ``num_classes`` of the RoI heads, logging what it set. The work
dir's copy of the config holds the result, so DetInferencer and tools/test.py can take that copy.
"""
import json
import os.path as osp
from typing import Any, List, Tuple

from mmengine.config import Config
from mmengine.logging import print_log

from .validation import AnnotationFormatError, check_data_paths

HINT = ('set MMVITDET_DATA_ROOT to the dataset folder, or own_data.data_root / own_data.train / '
        'own_data.val in the config (see configs/_base_/datasets/own-data_coco-format.py)')
SPLIT_OF_LOADER = dict(train_dataloader='train', val_dataloader='val', test_dataloader='val')


def read_class_names(ann_file: str) -> Tuple[str, ...]:
    """The category names of a COCO json file, in category-id order."""
    try:
        with open(ann_file, encoding='utf-8') as f:
            categories = json.load(f).get('categories')
    except (json.JSONDecodeError, UnicodeDecodeError, AttributeError) as e:
        raise AnnotationFormatError(f"annotation file '{ann_file}' is not COCO json ({e}): it must be a json object "
                                    "with 'images', 'annotations' and 'categories'") from e
    if not categories or not all(isinstance(c, dict) and 'id' in c and 'name' in c for c in categories):
        raise AnnotationFormatError(f"annotation file '{ann_file}' has no 'categories' list of "
                                    "{'id': ..., 'name': ...}: the class names are read from it")
    names = [c['name'] for c in sorted(categories, key=lambda c: c['id'])]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise AnnotationFormatError(f"annotation file '{ann_file}' names several categories {duplicates}: "
                                    'class names must be unique')
    return tuple(names)


def _set_num_classes(node: Any, path: str, num_classes: int, changed: List[str]) -> None:
    if isinstance(node, dict):
        if 'num_classes' in node and 'rpn' not in path:  # the RPN is class-agnostic (1 class)
            node['num_classes'] = num_classes
            changed.append(path)
        for key, value in node.items():
            _set_num_classes(value, f'{path}.{key}', num_classes, changed)
    elif isinstance(node, (list, tuple)):
        for i, value in enumerate(node):
            _set_num_classes(value, f'{path}[{i}]', num_classes, changed)


def apply_own_data(cfg: Config) -> Config:
    """Apply ``cfg.own_data`` (if any) in place; see the module docstring."""
    own = cfg.get('own_data', None)
    if own is None:
        return cfg
    root = own['data_root']
    paths = {split: (osp.join(root, own[split]['ann_file']), osp.join(root, own[split]['img']))
             for split in ('train', 'val')}
    for ann_file, img_dir in paths.values():
        check_data_paths(root, ann_file, img_dir, HINT)
    classes = read_class_names(paths['train'][0])
    val_classes = read_class_names(paths['val'][0])
    if val_classes != classes:
        raise AnnotationFormatError(f"the categories of '{paths['val'][0]}' {list(val_classes)} differ from those "
                                    f"of '{paths['train'][0]}' {list(classes)}: both splits need the same "
                                    'categories (same ids and names)')
    for loader, split in SPLIT_OF_LOADER.items():
        if cfg.get(loader, None) is None:
            continue
        dataset = cfg[loader]['dataset']
        dataset.pop('generate', None)  # the synthetic ShapesDataset's option
        dataset.update(type='CheckedCocoDataset', data_root=root, ann_file=own[split]['ann_file'],
                       data_prefix=dict(img=own[split]['img']), metainfo=dict(classes=classes),
                       missing_data_hint=HINT)
    for evaluator in ('val_evaluator', 'test_evaluator'):
        if isinstance(cfg.get(evaluator, None), dict):
            cfg[evaluator]['ann_file'] = paths['val'][0]
    changed: List[str] = []
    _set_num_classes(cfg.model, 'model', len(classes), changed)
    shown = ', '.join(classes[:10]) + (', ...' if len(classes) > 10 else '')
    print_log(f'own data: {len(classes)} classes from {paths["train"][0]} ({shown}); num_classes={len(classes)} at '
              f'{", ".join(changed)}', logger='current')
    return cfg
