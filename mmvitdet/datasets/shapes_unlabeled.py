"""Image-level shapes set for pre-training: images plus "which shapes are present" labels.

The detection set (``shapes.py``) plays COCO; this set plays ImageNet: more images, drawn from
the same generator (backgrounds, shapes, occlusion) with a different random stream, labelled
only at image level. Self-supervised pre-training ignores the labels; supervised pre-training
uses them as a multi-label target. Layout under ``root``::

    unlabeled/000000.png ...
    annotations/image_labels.json    # mmengine BaseDataset format, read by mmpretrain
    annotations/unlabeled_meta.json  # the generation parameters; written last, marks completion

``image_labels.json``: ``{"metainfo": {"classes": [...]}, "data_list": [{"img_path":
"000000.png", "gt_label": [0, 2]}, ...]}`` (``img_path`` relative to ``unlabeled/``).
"""
import dataclasses
import json
import os
import os.path as osp
import shutil
import tempfile
from dataclasses import dataclass
from typing import Tuple

import cv2
import numpy as np

from .shapes import ShapesDatasetError
from .shapes_draw import SHAPES, render_image

IMAGE_DIR = 'unlabeled'
LABEL_FILE = 'annotations/image_labels.json'
META_FILE = 'annotations/unlabeled_meta.json'
FORMAT_VERSION = 1
# Random stream id of this set: the detection splits use 0 (train) and 1 (val), so the same
# seed never repeats a detection image here.
STREAM = 100


@dataclass(frozen=True)
class UnlabeledShapesParams:
    """Generation parameters (lengths in px); drawing as :class:`shapes.ShapesParams`.

    All five shapes by default: the pre-training label space is wider than the detection
    set's three classes, as ImageNet's is wider than COCO's.
    """
    num_images: int = 4000
    img_size: int = 192
    seed: int = 0
    classes: Tuple[str, ...] = tuple(SHAPES)
    min_size: float = 20.0
    max_size: float = 80.0
    min_instances: int = 1
    max_instances: int = 4
    min_visible_fraction: float = 0.25
    min_visible_area: int = 16

    def __post_init__(self):
        for f in dataclasses.fields(self):
            if f.type in (int, float):
                object.__setattr__(self, f.name, f.type(getattr(self, f.name)))
        object.__setattr__(self, 'classes', tuple(self.classes))
        checks = [
            (self.num_images > 0, 'num_images must be > 0'),
            (self.img_size >= 16, 'img_size must be >= 16'),
            (0 < self.min_size <= self.max_size <= self.img_size,
             'need 0 < min_size <= max_size <= img_size'),
            (1 <= self.min_instances <= self.max_instances,
             'need 1 <= min_instances <= max_instances'),
            (len(self.classes) > 0 and len(set(self.classes)) == len(self.classes)
             and all(c in SHAPES for c in self.classes),
             f'classes must be distinct names from {sorted(SHAPES)}'),
        ]
        for ok, message in checks:
            if not ok:
                raise ValueError(f'invalid unlabeled shapes parameters {self}: {message}')

    def to_json(self) -> dict:
        return dict(dataclasses.asdict(self), classes=list(self.classes))


def _render(params: UnlabeledShapesParams, index: int):
    """(BGR image, sorted labels present) of image ``index``; labels of annotated shapes only."""
    rng = np.random.default_rng([params.seed, STREAM, index])
    image, instances = render_image(
        rng, params.img_size, params.classes, (params.min_size, params.max_size),
        (params.min_instances, params.max_instances), params.min_visible_fraction,
        params.min_visible_area)
    return image, sorted({inst.label for inst in instances})


def _meta(params: UnlabeledShapesParams) -> dict:
    return dict(generator='mmvitdet.datasets.shapes_unlabeled', format_version=FORMAT_VERSION,
                params=params.to_json())


def _write_json(obj, path: str) -> None:
    with open(path, 'w') as f:
        json.dump(obj, f, separators=(',', ':'))


def _check_existing(root: str, params: UnlabeledShapesParams) -> None:
    meta_file = osp.join(root, META_FILE)
    try:
        with open(meta_file) as f:
            stored = json.load(f)
    except (OSError, ValueError) as e:
        raise ShapesDatasetError(f"cannot read '{meta_file}' ({e}): delete '{root}' and "
                                 'generate again') from e
    if stored != _meta(params):
        raise ShapesDatasetError(
            f"'{root}' holds an unlabeled shapes set made with other parameters "
            f"({stored.get('params')}; requested {params.to_json()}): use another root or "
            f"delete '{osp.join(root, IMAGE_DIR)}', '{osp.join(root, LABEL_FILE)}' and "
            f"'{meta_file}'")
    found = len(os.listdir(osp.join(root, IMAGE_DIR)))
    if found != params.num_images:
        raise ShapesDatasetError(
            f"'{osp.join(root, IMAGE_DIR)}' has {found} files, its metadata says "
            f'{params.num_images}: delete it and generate again')


def ensure_unlabeled_shapes(root: str, **params) -> str:
    """Generate the set under ``root`` unless an identical one is there; return ``root``.

    Files are written into a hidden temporary folder and renamed into place, the metadata
    last, so an interrupted run leaves nothing that passes for a complete set.
    """
    params = UnlabeledShapesParams(**params)
    root = str(root)
    if osp.isfile(osp.join(root, META_FILE)):
        _check_existing(root, params)
        return root
    targets = [osp.join(root, p) for p in (IMAGE_DIR, LABEL_FILE)]
    present = [p for p in targets if osp.lexists(p)]
    if present:
        raise ShapesDatasetError(
            f"'{root}' contains {present} but no '{META_FILE}': an interrupted generation or "
            'not an unlabeled shapes set. Remove these paths or choose another root')
    os.makedirs(osp.join(root, 'annotations'), exist_ok=True)
    tmp = tempfile.mkdtemp(prefix='.unlabeled-tmp-', dir=root)
    try:
        os.makedirs(osp.join(tmp, IMAGE_DIR))
        data_list = []
        for index in range(params.num_images):
            image, labels = _render(params, index)
            name = f'{index:06d}.png'
            ok, encoded = cv2.imencode('.png', image)
            if not ok:
                raise RuntimeError(f'cv2 could not encode {name}')
            encoded.tofile(osp.join(tmp, IMAGE_DIR, name))
            data_list.append(dict(img_path=name, gt_label=labels))
        _write_json(dict(metainfo=dict(classes=list(params.classes)), data_list=data_list),
                    osp.join(tmp, 'labels.json'))
        _write_json(_meta(params), osp.join(tmp, 'meta.json'))
        os.rename(osp.join(tmp, IMAGE_DIR), osp.join(root, IMAGE_DIR))
        os.rename(osp.join(tmp, 'labels.json'), osp.join(root, LABEL_FILE))
        os.rename(osp.join(tmp, 'meta.json'), osp.join(root, META_FILE))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return root
