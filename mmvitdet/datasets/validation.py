"""Checks of dataset inputs with errors that name the file and the fix. Read-only: nothing here
writes, moves or deletes data.

mmdet reports these cases as a bare ``FileNotFoundError``/``KeyError``/``JSONDecodeError`` from
deep inside pycocotools, or silently drops annotations whose category is not declared (and every
annotation when the config's class names do not match the file), so they are checked up front.
"""
import json
import os
import os.path as osp
from typing import Iterable, Optional, Sequence

from mmdet.datasets.api_wrappers import COCO

from ..errors import UserInputError

DEFAULT_HINT = ('set data_root (and ann_file / data_prefix) in the config, or override them, e.g. '
                '--cfg-options train_dataloader.dataset.data_root=PATH '
                'val_dataloader.dataset.data_root=PATH; for the synthetic data run '
                '`python tools/generate_shapes.py data/shapes`')
COCO_KEYS = ('images', 'annotations', 'categories')


class DataNotFoundError(UserInputError, FileNotFoundError):
    """A data root, annotation file, image folder or image is missing."""


class AnnotationFormatError(UserInputError, ValueError):
    """An annotation file is not COCO instances json, or is inconsistent."""


class SampleError(UserInputError, RuntimeError):
    """The data pipeline failed on one image (its file and annotations are named)."""


def _listing(folder: str, limit: int = 8) -> str:
    try:
        names = sorted(os.listdir(folder))
    except OSError:
        return ''
    shown = ', '.join(names[:limit]) + (', ...' if len(names) > limit else '')
    return f" (it contains: {shown or 'nothing'})"


def check_data_paths(data_root: str, ann_file: str, img_dir: Optional[str],
                     hint: str = DEFAULT_HINT) -> None:
    """Raise :class:`DataNotFoundError` unless the root, annotation file and image folder exist.

    ``ann_file`` and ``img_dir`` are the already-joined paths (as mmengine's BaseDataset makes
    them); ``img_dir=None`` skips the folder check.
    """
    if data_root and not osp.isdir(data_root):
        raise DataNotFoundError(
            f"data root '{data_root}' not found (cwd '{os.getcwd()}'): {hint}")
    if not ann_file:
        raise DataNotFoundError(f'ann_file is empty: {hint}')
    if not osp.isfile(ann_file):
        raise DataNotFoundError(
            f"annotation file '{ann_file}' not found{_listing(osp.dirname(ann_file) or '.')}: "
            f'check ann_file (relative to data_root) or {hint}')
    if img_dir is not None and not osp.isdir(img_dir):
        raise DataNotFoundError(
            f"image folder '{img_dir}' not found{_listing(osp.dirname(img_dir.rstrip('/')) or '.')}"
            f": check data_prefix=dict(img=...) (relative to data_root) or {hint}")


def _missing_fields(items: Iterable[dict], fields: Sequence[str]):
    for item in items:
        if not isinstance(item, dict):
            return item, fields
        missing = [f for f in fields if f not in item]
        if missing:
            return item, missing
    return None, None


def check_coco_dict(data, ann_file: str) -> None:
    """Raise :class:`AnnotationFormatError` unless ``data`` is COCO instances data."""
    fix = f"'{ann_file}' must be COCO instances json (keys {list(COCO_KEYS)})"
    if not isinstance(data, dict):
        raise AnnotationFormatError(
            f"annotation file '{ann_file}' holds a {type(data).__name__}, not a json object: {fix}")
    missing = [k for k in COCO_KEYS if not isinstance(data.get(k), list)]
    if missing:
        raise AnnotationFormatError(
            f"annotation file '{ann_file}' has no list {missing} (top-level keys: "
            f'{sorted(data)}): {fix}; panoptic/caption/keypoint-only files need another dataset '
            'type')
    for key, fields in (('images', ('id', 'file_name', 'width', 'height')),
                        ('annotations', ('id', 'image_id', 'category_id', 'bbox')),
                        ('categories', ('id', 'name'))):
        item, bad = _missing_fields(data[key], fields)
        if item is not None:
            raise AnnotationFormatError(
                f"annotation file '{ann_file}': an entry of '{key}' lacks {list(bad)}: "
                f'{str(item)[:200]}')
    category_ids = {c['id'] for c in data['categories']}
    image_ids = {i['id'] for i in data['images']}
    for key, declared, what in (('category_id', category_ids, 'categories'),
                                ('image_id', image_ids, 'images')):
        bad = [a for a in data['annotations'] if a[key] not in declared]
        if bad:
            undeclared = sorted({a[key] for a in bad}, key=str)
            raise AnnotationFormatError(
                f"annotation file '{ann_file}': {len(bad)} annotation(s) (first id "
                f"{bad[0]['id']}) use {key} {undeclared[:10]} not declared in '{what}' "
                f'(declared: {sorted(declared, key=str)[:10]}'
                f"{', ...' if len(declared) > 10 else ''}): fix the file or declare them")


def check_classes(classes: Sequence[str], category_names: Sequence[str], ann_file: str) -> None:
    """Raise :class:`AnnotationFormatError` if a configured class is not a category of the file."""
    names = set(category_names)
    missing = [c for c in classes if c not in names]
    if missing:
        shown = missing[:10] + (['...'] if len(missing) > 10 else [])
        raise AnnotationFormatError(
            f"{len(missing)} of the {len(classes)} classes of the dataset's metainfo, {shown}, "
            f"are not categories of '{ann_file}' "
            f'(its categories: {list(category_names)[:20]}): set '
            "metainfo=dict(classes=(...)) to names from the file")


def load_coco_json(ann_file: str):
    """json.load with an error naming the file; the content is not checked here."""
    try:
        with open(ann_file, 'rb') as f:
            return json.load(f)
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise AnnotationFormatError(
            f"annotation file '{ann_file}' is not valid json ({e}; size "
            f'{osp.getsize(ann_file)} bytes): is it truncated or another format? Re-download or '
            'regenerate it') from e


def check_category_ids(category_ids: Sequence[int], classes: Optional[Sequence[str]], data: dict,
                       ann_file: str) -> None:
    """Raise :class:`AnnotationFormatError` unless each of ``category_ids`` is a category of the file and, with
    ``classes``, ``category_ids[i]`` is named ``classes[i]``."""
    names = {c['id']: c['name'] for c in data['categories']}
    if classes is None:
        classes = [names.get(i) for i in category_ids]
    if len(category_ids) != len(classes):
        raise AnnotationFormatError(
            f"category_ids {list(category_ids)} and classes {list(classes)} of the dataset for '{ann_file}' differ "
            'in length: give one category id per class, in class order')
    wrong = [f'{i}: {names.get(i, "not declared")!r} (class {c!r})' for i, c in zip(category_ids, classes)
             if names.get(i) != c]
    if wrong:
        raise AnnotationFormatError(
            f"category_ids of the dataset do not name its classes in '{ann_file}': {wrong[:5]}; give the ids of "
            f'the categories with those names (the file declares {dict(list(names.items())[:20])})')


class CheckedCOCO(COCO):
    """mmdet's COCO api that validates the file first (see :func:`check_coco_dict`) and maps class names to
    category ids by id where a name is declared twice.

    Args:
        annotation_file: path of a local COCO instances json.
        classes: class names the dataset will look up; each must be a category name.
        category_ids: the category id of each class (in class order); ``get_cat_ids`` then answers with these,
            so a placeholder category sharing a class name (Roboflow's id 0) is never taken as that class.
            Without it, a class name declared by two categories is an error naming both ids.
    """

    def __init__(self, annotation_file: str, classes: Optional[Sequence[str]] = None,
                 category_ids: Optional[Sequence[int]] = None):
        data = load_coco_json(annotation_file)
        check_coco_dict(data, annotation_file)
        if classes is not None:
            check_classes(classes, [c['name'] for c in data['categories']], annotation_file)
        if category_ids is not None:
            check_category_ids(category_ids, classes, data, annotation_file)
        self.annotation_file = annotation_file
        self.category_ids = None if category_ids is None else list(category_ids)
        super().__init__()  # an empty api; filled below as pycocotools' own loadRes does
        self.dataset = data
        self.createIndex()
        self.img_ann_map = self.imgToAnns
        self.cat_img_map = self.catToImgs

    def get_cat_ids(self, cat_names=[], sup_names=[], cat_ids=[]):  # noqa: B006  (pycocotools' signature)
        if cat_names and not sup_names and not cat_ids and self.category_ids is not None:
            names = {i: self.cats[i]['name'] for i in self.category_ids}
            return [i for name in cat_names for i in self.category_ids if names[i] == name]
        ids = super().get_cat_ids(cat_names, sup_names, cat_ids)
        by_name = {}
        for i in ids:
            by_name.setdefault(self.cats[i]['name'], []).append(i)
        shared = {name: same for name, same in by_name.items() if len(same) > 1}
        if cat_names and shared:
            raise AnnotationFormatError(
                f"annotation file '{self.annotation_file}' declares class names under several category ids "
                f'{shared}: give the dataset (and CheckedCocoMetric) category_ids=(...), the id of each class, or '
                'rename the unused category in the file')
        return ids
