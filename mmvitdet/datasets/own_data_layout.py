"""Where the splits of a COCO-format export lie, detected from its folder.

Layouts (the first that fits wins; ``own_data.train`` / ``own_data.val`` in a config override it):

- ``coco``: ``annotations/instances_<split>.json`` (also ``instances_<split>2017.json``) with images in
  ``<split>/`` (``<split>2017/``);
- ``roboflow``: ``<split>/_annotations.coco.json`` beside the images of each split folder;
- ``cvat``: CVAT's "COCO 1.0" export, ``annotations/instances_<subset>.json`` (``default`` for a task with no
  subsets) with the images in ``images/`` (``images/<subset>/`` when subsets exist);
- ``label-studio``: Label Studio's COCO export, ``result.json`` with the images in ``images/``.

Split names: train = train / training; val = val / valid / validation; test = test. An export with one
split only (CVAT's ``default``, Label Studio) has no validation set: that is an error with the fix, never a
silent train = val.
"""
import os
import os.path as osp
from typing import Dict, Optional, Tuple

from .validation import DataNotFoundError

SPLIT_NAMES = dict(train=('train', 'training', 'Train'), val=('val', 'valid', 'validation', 'Val', 'Validation'),
                   test=('test', 'Test'))
Split = Tuple[str, str]  # (annotation file, image folder), relative to the data root


def _first(root: str, candidates) -> Optional[Split]:
    for ann, img in candidates:
        if osp.isfile(osp.join(root, ann)) and osp.isdir(osp.join(root, img)):
            return ann, img
    return None


def _coco(root: str, split: str) -> Optional[Split]:
    return _first(root, [(f'annotations/instances_{name}{year}.json', f'{name}{year}/')
                         for name in SPLIT_NAMES[split] for year in ('', '2017')])


def _roboflow(root: str, split: str) -> Optional[Split]:
    return _first(root, [(f'{name}/_annotations.coco.json', f'{name}/') for name in SPLIT_NAMES[split]])


def _cvat(root: str, split: str) -> Optional[Split]:
    return _first(root, [(f'annotations/instances_{name}.json', img) for name in SPLIT_NAMES[split]
                         for img in (f'images/{name}/', 'images/')])


LAYOUTS = dict(coco=_coco, roboflow=_roboflow, cvat=_cvat)


def single_split_export(root: str) -> Optional[str]:
    """The annotation file of a one-split export (CVAT ``default``, Label Studio ``result.json``), else None."""
    for ann, img in (('annotations/instances_default.json', 'images/'), ('result.json', 'images/')):
        if osp.isfile(osp.join(root, ann)) and osp.isdir(osp.join(root, img)):
            return ann
    return None


def detect_splits(root: str) -> Dict[str, object]:
    """``{'layout': name, 'train': (ann, img), 'val': (ann, img), 'test': (ann, img) or None}`` for ``root``."""
    if not osp.isdir(root):
        raise DataNotFoundError(
            f"dataset folder '{root}' does not exist: set MMVITDET_DATA_ROOT to the folder of your COCO-format "
            'export (or own_data.data_root in the config)')
    for name, find in LAYOUTS.items():
        train, val = find(root, 'train'), find(root, 'val')
        if train and val:
            return dict(layout=name, train=train, val=val, test=find(root, 'test'))
    single = single_split_export(root)
    if single:
        raise DataNotFoundError(
            f"'{osp.join(root, single)}' is a one-split export (no validation set): export train and validation "
            'subsets separately (CVAT: subsets; Label Studio: two projects), or name them in the config with '
            "--cfg-options own_data.train.ann_file=... own_data.train.img=... own_data.val.ann_file=... "
            'own_data.val.img=... (paths relative to the data root)')
    seen = sorted(os.listdir(root))[:12]
    raise DataNotFoundError(
        f"'{root}' holds no train and validation split in a known layout (COCO annotations/instances_<split>.json "
        'with <split>/; Roboflow <split>/_annotations.coco.json; CVAT annotations/instances_<subset>.json with '
        f'images/); it has {seen}. Name the files with --cfg-options own_data.train.ann_file=... '
        'own_data.train.img=... own_data.val.ann_file=... own_data.val.img=... (relative to the data root)')
