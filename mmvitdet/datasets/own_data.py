"""Any COCO-format instance set in place of COCO: ``own_data`` in a config, resolved when the config is parsed.

A config inherits an init config and ``configs/_base_/datasets/own-data_coco-format.py`` (``own_data =
dict(data_root=...)``, optionally ``train=dict(ann_file=..., img=...)`` and ``val=...``) and ends with

    locals().update(own_data_config(_base_))

(mmengine executes a Python config with its merged bases in ``_base_``). :func:`own_data_config` finds the
splits (``own_data_layout``: COCO, Roboflow, CVAT layouts, unless given), reads the class names from the train
annotation file (categories in id order; an unused category that only repeats a super-category name, as
Roboflow's id 0, is dropped) and returns the config entries that point the datasets and CocoMetric at the files
and set every ``num_classes`` of the RoI heads, so mmdet's own tools, ``mim``, DetInferencer and tools/* all see
the resolved values. Without the data on disk the config still parses (nothing resolved).

:func:`apply_own_data` (tools/train.py, tools/test.py, tools/demo.py, through ``load_launch_config``) resolves
again after ``--cfg-options`` (which may change ``own_data``), checks every image and annotation of both splits
before any iteration (:mod:`.own_data_check`), fits fractional-epoch warmups to the set, and logs what it set.
"""
import copy
import json
import math
import os
import os.path as osp
from typing import Any, Dict, List, Tuple

from mmengine.config import Config
from mmengine.logging import print_log

from .own_data_check import DEFAULT_MAX_PIXELS
from .own_data_layout import detect_splits
from .validation import AnnotationFormatError, DataNotFoundError, check_data_paths

HINT = ('set MMVITDET_DATA_ROOT to the dataset folder, or own_data.data_root / own_data.train / '
        'own_data.val in the config (see configs/_base_/datasets/own-data_coco-format.py)')
SPLIT_OF_LOADER = dict(train_dataloader='train', val_dataloader='val', test_dataloader='val')
# Top-level variables of the inherited configs that describe their own dataset (the quickstart's shapes, COCO's
# root): an own-data config drops them, so its printed form names only the own set.
BASE_DATASET_VARIABLES = ('classes', 'data_root', 'shapes', 'dataset_type', 'missing_data_hint')
EVALUATORS = ('val_evaluator', 'test_evaluator')


def _load_json(ann_file: str) -> dict:
    try:
        with open(ann_file, encoding='utf-8') as f:
            data = json.load(f)
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise AnnotationFormatError(f"annotation file '{ann_file}' is not COCO json ({e}): it must be a json object "
                                    "with 'images', 'annotations' and 'categories'") from e
    if not isinstance(data, dict):
        raise AnnotationFormatError(f"annotation file '{ann_file}' holds a {type(data).__name__}, not a COCO json "
                                    "object with 'images', 'annotations' and 'categories'")
    return data


def kept_categories(data: dict, ann_file: str) -> Tuple[List[dict], List[str]]:
    """(the categories that are classes, in id order; names of the dropped placeholder categories) of ``data``.

    A category that no annotation uses and whose name is another category's ``supercategory`` (Roboflow
    declares the dataset's super-category as category 0 that way, sometimes with the name of a real class) is
    dropped; any other repeated name is an error. The classes are then mapped by these ids, never by name.
    """
    categories = data.get('categories')
    if not categories or not all(isinstance(c, dict) and 'id' in c and 'name' in c for c in categories):
        raise AnnotationFormatError(f"annotation file '{ann_file}' has no 'categories' list of "
                                    "{'id': ..., 'name': ...}: the class names are read from it")
    used = {a.get('category_id') for a in data.get('annotations') or [] if isinstance(a, dict)}
    supers = {c.get('supercategory') for c in categories if c.get('supercategory') != c['name']}
    kept = sorted((c for c in categories if c['id'] in used or c['name'] not in supers), key=lambda c: c['id'])
    dropped = [f"{c['name']} (id {c['id']})" for c in categories if c not in kept]
    names = [c['name'] for c in kept]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise AnnotationFormatError(
            f"annotation file '{ann_file}' names several categories {duplicates}: class names must be unique "
            '(rename one of them in the file, or merge them: give their annotations one category_id)')
    return kept, dropped


def check_val_categories(train: List[dict], val_data: dict, train_file: str, val_file: str) -> None:
    """Raise unless the validation file declares every train class with the same id and name, and its
    annotations use no other category."""
    declared = {c.get('id'): c.get('name') for c in val_data.get('categories') or [] if isinstance(c, dict)}
    differ = [f"{c['id']}: {c['name']!r} vs {declared.get(c['id'], 'not declared')!r}" for c in train
              if declared.get(c['id']) != c['name']]
    ids = {c['id'] for c in train}
    foreign = sorted({a.get('category_id') for a in val_data.get('annotations') or []
                      if isinstance(a, dict) and a.get('category_id') not in ids}, key=str)
    if differ or foreign:
        what = (f'category ids differ (id: train vs val) {differ[:5]}' if differ else
                f'its annotations use category ids {foreign[:10]} that are not classes of the train file '
                f'(classes: { {c["id"]: c["name"] for c in train} })')
        raise AnnotationFormatError(
            f"the categories of '{val_file}' differ from those of '{train_file}': {what}. Both splits need the "
            'same categories (same ids and names)')


def read_class_names(ann_file: str) -> Tuple[str, ...]:
    """The category names of a COCO json file, in category-id order (placeholder super-categories dropped)."""
    return tuple(c['name'] for c in kept_categories(_load_json(ann_file), ann_file)[0])


def resolve_splits(own: dict) -> Dict[str, Any]:
    """``{'root', 'layout', 'train': (ann, img), 'val': (ann, img)}`` (relative to root) from ``own_data``."""
    root = own['data_root']
    given = {split: own.get(split) for split in ('train', 'val')}
    for split, g in given.items():
        if g and not (g.get('ann_file') and g.get('img')):
            raise AnnotationFormatError(
                f'own_data.{split} is {dict(g)}: give both ann_file and img (relative to own_data.data_root), '
                f'e.g. --cfg-options own_data.{split}.ann_file=... own_data.{split}.img=...')
    if all(given.values()):
        return dict(root=root, layout='given', **{s: (g['ann_file'], g['img']) for s, g in given.items()})
    found = detect_splits(root)
    for split, g in given.items():
        if g:
            found[split] = (g['ann_file'], g['img'])
    return dict(root=root, **found)


def resolve_own_data(own: dict) -> Dict[str, Any]:
    """The splits, classes with their category ids (taken from train, checked in val) and dropped placeholders
    of ``own_data``."""
    resolved = resolve_splits(own)
    root = resolved['root']
    for split in ('train', 'val'):
        ann, img = resolved[split]
        check_data_paths(root, osp.join(root, ann), osp.join(root, img), HINT)
        data = _load_json(osp.join(root, ann))
        resolved[f'{split}_images'] = len(data.get('images') or [])
        resolved[f'{split}_data'] = data  # for the launch check: each file is read once
    train_file, val_file = (osp.join(root, resolved[s][0]) for s in ('train', 'val'))
    kept, dropped = kept_categories(resolved['train_data'], train_file)
    check_val_categories(kept, resolved['val_data'], train_file, val_file)
    resolved.update(classes=tuple(c['name'] for c in kept), category_ids=tuple(c['id'] for c in kept),
                    dropped=dropped)
    return resolved


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


def own_data_entries(cfg: dict, resolved: Dict[str, Any]) -> Tuple[Dict[str, Any], List[str]]:
    """The entries of ``cfg`` (model, dataloaders, evaluators) pointed at ``resolved``, and the num_classes paths."""
    root, classes = resolved['root'], resolved['classes']
    entries: Dict[str, Any] = {}
    for loader, split in SPLIT_OF_LOADER.items():
        if cfg.get(loader) is None:
            continue
        entry = copy.deepcopy(dict(cfg[loader]))
        dataset = dict(entry['dataset'])
        dataset.pop('generate', None)  # the synthetic ShapesDataset's option
        dataset.update(type='CheckedCocoDataset', data_root=root, ann_file=resolved[split][0],
                       data_prefix=dict(img=resolved[split][1]), metainfo=dict(classes=classes),
                       category_ids=resolved['category_ids'], missing_data_hint=HINT, _delete_=True)
        entry['dataset'] = dataset
        entries[loader] = entry
    for evaluator in EVALUATORS:
        if isinstance(cfg.get(evaluator), dict):
            entries[evaluator] = dict(copy.deepcopy(dict(cfg[evaluator])), type='CheckedCocoMetric',
                                      ann_file=osp.join(root, resolved['val'][0]),
                                      category_ids=resolved['category_ids'])
    model = copy.deepcopy(dict(cfg['model']))
    changed: List[str] = []
    _set_num_classes(model, 'model', len(classes), changed)
    entries['model'] = model
    return entries, changed


def own_data_config(base, own_data: dict = None) -> Dict[str, Any]:
    """Config entries of an own-data config, computed at parse time from its merged bases ``base``.

    Use as the last line of the config: ``locals().update(own_data_config(_base_))``. Returns {} while the
    data is not on disk (the config still parses; the launch tools then say what is missing).
    """
    own = own_data if own_data is not None else base.get('own_data')
    if own is None:
        raise AnnotationFormatError('own_data_config(_base_): no own_data in the bases; inherit '
                                    'configs/_base_/datasets/own-data_coco-format.py')
    for key in BASE_DATASET_VARIABLES:  # ``base`` is the dict mmengine merges the config into
        base.pop(key, None)
    try:
        resolved = resolve_own_data(dict(own))
    except DataNotFoundError:
        return {}
    entries, _ = own_data_entries(base, resolved)
    return entries


def fit_warmup(cfg: Config, num_images: int) -> List[str]:
    """Warmups given in fractions of an epoch (``end`` < 1 with ``convert_to_iter_based``) in iterations for this
    set, at least one; raise when the set holds less than one batch. Returns what changed."""
    loader = cfg.train_dataloader
    world = int(os.environ.get('WORLD_SIZE', '1'))
    per_epoch = num_images // (int(loader.get('batch_size', 1)) * world)
    if per_epoch < 1:
        raise AnnotationFormatError(
            f'the train set has {num_images} images, fewer than one batch of {loader.get("batch_size", 1)} x '
            f'{world} process(es): add images, or lower train_dataloader.batch_size')
    changed = []
    schedulers = cfg.get('param_scheduler') or []
    for sched in (schedulers if isinstance(schedulers, list) else [schedulers]):
        end = sched.get('end')
        if sched.get('by_epoch', True) and sched.get('convert_to_iter_based') and isinstance(end, float) and end < 1:
            iters = max(1, math.ceil(end * per_epoch))
            sched.update(by_epoch=False, convert_to_iter_based=False, begin=0, end=iters)
            changed.append(f'{sched["type"]} warmup {end:g} epoch = {iters} iteration(s) of {per_epoch}')
    return changed


def apply_own_data(cfg: Config, check_files: bool = True) -> Config:
    """Resolve ``cfg.own_data`` (if any) again, in place, check the files and fit the warmup; see the module doc."""
    own = cfg.get('own_data', None)
    if own is None:
        return cfg
    resolved = resolve_own_data(dict(own))
    if check_files:
        from .own_data_check import check_split
        for split in ('train', 'val'):
            ann, img = resolved[split]
            check_split(osp.join(resolved['root'], ann), osp.join(resolved['root'], img), resolved[f'{split}_data'],
                        fix=(f'own_data.{split}', ann, img), check=own.get('check', 'header'),
                        max_pixels=own.get('max_pixels', DEFAULT_MAX_PIXELS))
    entries, changed = own_data_entries(cfg, resolved)
    for key, value in entries.items():
        if key.endswith('_dataloader'):
            value['dataset'].pop('_delete_', None)
        cfg[key] = value
    classes = resolved['classes']
    shown = ', '.join(classes[:10]) + (', ...' if len(classes) > 10 else '')
    train_ann = osp.join(resolved['root'], resolved['train'][0])
    print_log(f'own data ({resolved["layout"]} layout): {len(classes)} classes from {train_ann} ({shown}); '
              f'num_classes={len(classes)} at {", ".join(changed)}', logger='current')
    if resolved['dropped']:
        print_log(f'own data: dropped the declared categories {resolved["dropped"]} of {train_ann}: no annotation '
                  'uses them and each only repeats a super-category name (as Roboflow exports declare it); classes '
                  f'are mapped by category id {dict(zip(resolved["category_ids"], classes))}',
                  logger='current')
    for line in fit_warmup(cfg, resolved['train_images']):
        print_log(f'own data: {line}', logger='current')
    return cfg
