"""Synthetic COCO-format instance segmentation dataset of shapes, deterministic from a seed.

Layout under ``root``::

    annotations/instances_train.json  annotations/instances_val.json  annotations/shapes_meta.json
    train/000000.png ...              val/000000.png ...

Everything is written into a hidden temporary folder inside ``root`` and renamed into place;
``shapes_meta.json`` (the generation parameters) is renamed last and marks a complete dataset.
"""
import dataclasses
import json
import os
import os.path as osp
import shutil
import tempfile
from dataclasses import dataclass, field
from typing import Dict, Tuple

import cv2
import numpy as np

from ..errors import UserInputError
from .coco_masks import MASK_FORMATS, instance_geometry
from .shapes_draw import SHAPES, render_image

SPLITS = ('train', 'val')
META_FILE = 'annotations/shapes_meta.json'
FORMAT_VERSION = 1  # bump when a change to the drawing alters the images of a given seed
_TMP_PREFIX = '.shapes-tmp-'


class ShapesDatasetError(UserInputError, RuntimeError):
    """A shapes dataset on disk is incomplete, foreign, or made with other parameters."""


@dataclass(frozen=True)
class ShapesParams:
    """Generation parameters (all lengths in px).

    Defaults suit the CPU quickstart: 3 clearly distinct classes, shapes 20-80 px in a 192 px
    image (a stride-16 ViT sees each over 1-5 tokens), 1-4 per image so that occlusion occurs.
    """
    num_train: int = 200
    num_val: int = 50
    img_size: int = 192
    seed: int = 0
    classes: Tuple[str, ...] = ('circle', 'square', 'triangle')
    min_size: float = 20.0   # diameter of the circle enclosing a shape
    max_size: float = 80.0
    min_instances: int = 1
    max_instances: int = 4
    min_visible_fraction: float = 0.25  # less visible than this -> not annotated
    min_visible_area: int = 16
    mask_format: str = 'auto'  # see coco_masks.instance_geometry
    image_format: str = 'png'

    def __post_init__(self):
        # Normalized types keep the metadata json identical for 20 and 20.0.
        for f in dataclasses.fields(self):
            if f.type in (int, float):
                object.__setattr__(self, f.name, f.type(getattr(self, f.name)))
        object.__setattr__(self, 'classes', tuple(self.classes))
        checks = [
            (self.num_train >= 0 and self.num_val >= 0, 'num_train/num_val must be >= 0'),
            (self.img_size >= 16, 'img_size must be >= 16'),
            (0 < self.min_size <= self.max_size <= self.img_size,
             'need 0 < min_size <= max_size <= img_size'),
            (1 <= self.min_instances <= self.max_instances,
             'need 1 <= min_instances <= max_instances'),
            (0 <= self.min_visible_fraction <= 1, 'min_visible_fraction must be in [0, 1]'),
            (len(self.classes) > 0 and len(set(self.classes)) == len(self.classes)
             and all(c in SHAPES for c in self.classes),
             f'classes must be distinct names from {sorted(SHAPES)}'),
            (self.mask_format in MASK_FORMATS, f'mask_format must be one of {MASK_FORMATS}'),
            (self.image_format in ('png', 'jpg'), "image_format must be 'png' or 'jpg'"),
        ]
        for ok, message in checks:
            if not ok:
                raise ValueError(f'invalid shapes dataset parameters {self}: {message}')

    def to_json(self) -> dict:
        return dict(dataclasses.asdict(self), classes=list(self.classes))


@dataclass
class ShapesPaths:
    """Where a generated dataset lives; ``ann_files``/``img_dirs`` are keyed by split."""
    root: str
    params: ShapesParams
    ann_files: Dict[str, str] = field(default_factory=dict)
    img_dirs: Dict[str, str] = field(default_factory=dict)

    @classmethod
    def at(cls, root: str, params: ShapesParams) -> 'ShapesPaths':
        return cls(root, params,
                   {s: osp.join(root, 'annotations', f'instances_{s}.json') for s in SPLITS},
                   {s: osp.join(root, s) for s in SPLITS})

    @property
    def meta_file(self) -> str:
        return osp.join(self.root, META_FILE)

    def targets(self):
        """Every path generation creates, the metadata file last."""
        return [*self.img_dirs.values(), *self.ann_files.values(), self.meta_file]


def _split_coco(params: ShapesParams, split: str, img_dir: str) -> dict:
    """Render one split's images into ``img_dir`` and return its COCO dict."""
    num = params.num_train if split == 'train' else params.num_val
    images, annotations = [], []
    for index in range(num):
        # One generator per image: an image does not depend on the split sizes.
        rng = np.random.default_rng([params.seed, SPLITS.index(split), index])
        image, instances = render_image(
            rng, params.img_size, params.classes, (params.min_size, params.max_size),
            (params.min_instances, params.max_instances),
            params.min_visible_fraction, params.min_visible_area)
        file_name = f'{index:06d}.{params.image_format}'
        ok, encoded = cv2.imencode('.' + params.image_format, image)
        if not ok:
            raise RuntimeError(f'cv2 could not encode {file_name} as {params.image_format}')
        encoded.tofile(osp.join(img_dir, file_name))
        image_id = index + 1
        images.append(dict(id=image_id, file_name=file_name,
                           width=params.img_size, height=params.img_size))
        for inst in instances:
            segmentation, area, bbox = instance_geometry(
                inst.polygon, inst.visible, inst.occluded, params.mask_format)
            annotations.append(dict(id=len(annotations) + 1, image_id=image_id,
                                    category_id=inst.label + 1, bbox=bbox, area=area,
                                    segmentation=segmentation, iscrowd=0))
    categories = [dict(id=i + 1, name=name, supercategory='shape')
                  for i, name in enumerate(params.classes)]
    info = dict(description=f'mmvitdet synthetic shapes ({split})', version=str(FORMAT_VERSION))
    return dict(info=info, licenses=[], images=images, annotations=annotations,
                categories=categories)


def _write_json(obj: dict, path: str) -> None:
    with open(path, 'w') as f:
        json.dump(obj, f, separators=(',', ':'))


def _meta(params: ShapesParams) -> dict:
    return dict(generator='mmvitdet.datasets.shapes', format_version=FORMAT_VERSION,
                params=params.to_json())


def _check_params_match(paths: ShapesPaths) -> None:
    try:
        with open(paths.meta_file) as f:
            stored = json.load(f)
        stored_params, stored_version = stored['params'], stored['format_version']
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise ShapesDatasetError(
            f"cannot read shapes metadata '{paths.meta_file}' ({e}): delete '{paths.root}' "
            'and generate again') from e
    wanted = paths.params.to_json()
    diffs = [f'{k}={stored_params.get(k)!r} (requested {v!r})'
             for k, v in wanted.items() if stored_params.get(k) != v]
    if stored_version != FORMAT_VERSION:
        diffs.append(f'format_version={stored_version} (this code writes {FORMAT_VERSION})')
    if diffs:
        raise ShapesDatasetError(
            f"'{paths.root}' holds a shapes dataset generated with different parameters: "
            f"{', '.join(diffs)}. Use another root, request the stored parameters, or "
            'regenerate with overwrite=True (CLI: --overwrite), which replaces its train/, val/ '
            'and annotations/instances_*.json')


def _check_complete(paths: ShapesPaths) -> None:
    expected = dict(train=paths.params.num_train, val=paths.params.num_val)
    for split in SPLITS:
        ann_file, img_dir = paths.ann_files[split], paths.img_dirs[split]
        if not osp.isfile(ann_file) or not osp.isdir(img_dir):
            missing = ann_file if not osp.isfile(ann_file) else img_dir
            raise ShapesDatasetError(
                f"shapes dataset '{paths.root}' is incomplete: '{missing}' is missing. "
                'Regenerate it with overwrite=True (CLI: --overwrite)')
        found = sum(1 for n in os.listdir(img_dir) if n.endswith('.' + paths.params.image_format))
        if found != expected[split]:
            raise ShapesDatasetError(
                f"shapes dataset '{paths.root}' is incomplete: '{img_dir}' has {found} images, "
                f'its metadata says {expected[split]}. Regenerate it with overwrite=True '
                '(CLI: --overwrite)')


def _commit(tmp: str, paths: ShapesPaths, overwrite: bool) -> None:
    """Rename the generated files from ``tmp`` into ``paths.root``, metadata last."""
    existing = [p for p in paths.targets() if osp.lexists(p)]
    if existing and not overwrite:
        raise ShapesDatasetError(
            f"'{paths.root}' already contains {existing}: pass overwrite=True (CLI: --overwrite) "
            'to replace them, or choose another root')
    trash = osp.join(tmp, 'replaced')
    os.makedirs(trash)
    # Invalidate first (metadata away), so an interruption never leaves a mix that looks valid.
    for path in sorted(existing, key=lambda p: p != paths.meta_file):
        os.rename(path, osp.join(trash, str(len(os.listdir(trash)))))
    os.makedirs(osp.join(paths.root, 'annotations'), exist_ok=True)
    for path in paths.targets():
        os.rename(osp.join(tmp, osp.relpath(path, paths.root)), path)


def generate_shapes_dataset(root: str, overwrite: bool = False, **params) -> ShapesPaths:
    """Generate the dataset under ``root`` and return its paths.

    Args:
        root: output folder (created if absent; other files in it are left alone).
        overwrite: replace an existing dataset's files; without it, existing files are an error.
        **params: fields of :class:`ShapesParams` (num_train, num_val, img_size, seed, ...).
    """
    paths = ShapesPaths.at(str(root), ShapesParams(**params))
    os.makedirs(paths.root, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix=_TMP_PREFIX, dir=paths.root)
    try:
        os.makedirs(osp.join(tmp, 'annotations'))
        for split in SPLITS:
            img_dir = osp.join(tmp, split)
            os.makedirs(img_dir)
            coco = _split_coco(paths.params, split, img_dir)
            _write_json(coco, osp.join(tmp, 'annotations', f'instances_{split}.json'))
        _write_json(_meta(paths.params), osp.join(tmp, META_FILE))
        _commit(tmp, paths, overwrite)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return paths


def ensure_shapes_dataset(root: str, **params) -> ShapesPaths:
    """Generate the dataset under ``root`` unless an identical one is already there.

    Raises :class:`ShapesDatasetError` (naming the differing parameters or the missing files)
    when ``root`` holds a dataset made with other parameters, an incomplete one, or dataset
    files without shapes metadata; nothing is deleted.
    """
    paths = ShapesPaths.at(str(root), ShapesParams(**params))
    if osp.isfile(paths.meta_file):
        _check_params_match(paths)
        _check_complete(paths)
        return paths
    present = [p for p in paths.targets() if osp.lexists(p)]
    if present:
        raise ShapesDatasetError(
            f"'{paths.root}' contains {present} but no '{META_FILE}': an interrupted generation "
            'or not a shapes dataset. Remove these paths, choose another root, or call '
            'generate_shapes_dataset(..., overwrite=True) (CLI: --overwrite)')
    try:
        return generate_shapes_dataset(root, **params)
    except ShapesDatasetError:
        if not osp.isfile(paths.meta_file):
            raise
        # Another process (e.g. another rank) finished the same generation first.
        _check_params_match(paths)
        _check_complete(paths)
        return paths
