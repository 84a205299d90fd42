"""``CheckedCocoDataset``: mmdet's CocoDataset with input checks and errors naming file and fix."""
import functools
import os.path as osp
from typing import Dict, List, Optional, Sequence

from mmcv.transforms import LoadImageFromFile
from mmengine.fileio import LocalBackend, get_file_backend
from mmengine.logging import print_log
from mmdet.datasets import CocoDataset
from mmdet.registry import DATASETS

from .checked_loading import CheckedLoadImageFromFile
from .own_data_check import escapes_lexically  # links out of the folder are checked at launch (own data)
from ..errors import UserInputError
from .validation import (DEFAULT_HINT, AnnotationFormatError, CheckedCOCO, DataNotFoundError, SampleError,
                         check_data_paths)

SHOWN = 5
LOADER_NAMES = ('LoadImageFromFile', 'mmcv.LoadImageFromFile', 'mmdet.LoadImageFromFile', LoadImageFromFile)


def checked_image_loading(pipeline: Sequence) -> list:
    """``pipeline`` (transform configs or objects) with each plain LoadImageFromFile config
    replaced by a CheckedLoadImageFromFile config of the same arguments."""
    return [dict(t, type=CheckedLoadImageFromFile) if isinstance(t, dict) and t.get('type') in LOADER_NAMES
            else t for t in pipeline]


def drop_reason(ann: dict, width: int, height: int, cat_ids) -> Optional[str]:
    """Why mmdet's CocoDataset leaves annotation ``ann`` out of training (or, for crowd, treats it as an ignore
    region only); None when it is trained on."""
    x1, y1, w, h = ann['bbox']
    if ann.get('ignore', False):
        return 'marked ignore'
    if w < 1 or h < 1 or ann.get('area', 1) <= 0:
        return 'zero or negative size'
    if max(0, min(x1 + w, width) - max(x1, 0)) * max(0, min(y1 + h, height) - max(y1, 0)) == 0:
        return 'outside the image'
    if ann['category_id'] not in cat_ids:
        return 'category not among the classes'
    if ann.get('iscrowd', False):
        return 'crowd (kept as an ignore region)'
    return None


def dropped_annotations_line(ann_file: str, dropped: Dict[str, list]) -> str:
    parts = [f'{len(ids)} {reason} (ids {", ".join(str(i) for i in ids[:SHOWN])}{", ..." if len(ids) > SHOWN else ""})'
             for reason, ids in dropped.items()]
    return f"dataset '{ann_file}': {sum(len(i) for i in dropped.values())} annotations not trained as objects: " + \
        '; '.join(parts)


@DATASETS.register_module()
class CheckedCocoDataset(CocoDataset):
    """CocoDataset that checks, before loading, that the data root, annotation file and image
    folder exist, that the file is COCO instances json whose annotations use declared category
    and image ids, that every configured class is a category of the file, and that the first
    listed image exists. Loading itself is CocoDataset's, unchanged.

    A plain ``LoadImageFromFile`` in ``pipeline`` runs as :class:`CheckedLoadImageFromFile` (same
    arguments and outputs, errors that name the image and the fix). Configs therefore keep mmdet's
    ``LoadImageFromFile``, the name mmdet's ``DetInferencer`` looks for in the test pipeline.

    Args:
        missing_data_hint: the fix to print when data is missing (e.g. the command that
            prepares it).
        category_ids: the category id of each class of ``metainfo`` (in class order), so classes are
            mapped by id (own data sets it; see :class:`CheckedCOCO`). Default: by name, which must
            then be unique in the file. Other arguments as :class:`mmdet.datasets.CocoDataset`.
    """

    def __init__(self, *args, missing_data_hint: str = DEFAULT_HINT,
                 category_ids: Optional[Sequence[int]] = None, **kwargs) -> None:
        self.missing_data_hint = missing_data_hint
        self.category_ids = None if category_ids is None else tuple(category_ids)
        if kwargs.get('pipeline'):
            kwargs['pipeline'] = checked_image_loading(kwargs['pipeline'])
        super().__init__(*args, **kwargs)

    def _is_local(self) -> bool:
        return isinstance(get_file_backend(self.ann_file or '.', backend_args=self.backend_args),
                          LocalBackend)

    def load_data_list(self) -> List[dict]:
        if 'img' not in self.data_prefix:
            raise ValueError(f"data_prefix={self.data_prefix} of the dataset for '{self.ann_file}' "
                             "needs the key 'img' (the image folder), e.g. data_prefix="
                             "dict(img='train2017/')")
        local = self._is_local()
        if local:
            check_data_paths(self.data_root, self.ann_file, self.data_prefix['img'],
                             self.missing_data_hint)
        # An instance attribute shadows CocoDataset.COCOAPI, which load_data_list calls.
        self.COCOAPI = functools.partial(CheckedCOCO, classes=self.metainfo['classes'],
                                         category_ids=self.category_ids)
        data_list = super().load_data_list()
        if local and data_list and not osp.isfile(data_list[0]['img_path']):
            raise DataNotFoundError(
                f"image '{data_list[0]['img_path']}', the first listed in '{self.ann_file}', not "
                f"found in the image folder '{self.data_prefix['img']}': does data_prefix point "
                f'at the folder of this split? Otherwise {self.missing_data_hint}')
        return data_list

    def parse_data_info(self, raw_data_info: dict):
        """CocoDataset's parsing, counting the annotations it drops (and the crowd ones it only ignores) by reason."""
        img = raw_data_info['raw_img_info']
        if escapes_lexically(str(img.get('file_name', ''))):
            raise AnnotationFormatError(
                f"annotation file '{self.ann_file}': image id {img.get('id')} has file_name "
                f"{img.get('file_name')!r}, which leads outside the image folder: give a path inside it")
        for ann in raw_data_info['raw_ann_info']:
            reason = drop_reason(ann, img['width'], img['height'], self.cat_ids)
            if reason:
                self.dropped.setdefault(reason, []).append(ann.get('id'))
        return super().parse_data_info(raw_data_info)

    def full_init(self) -> None:
        if self._fully_initialized:
            return
        self.dropped: Dict[str, list] = {}  # reason -> annotation ids
        super().full_init()
        if self.dropped:
            print_log(dropped_annotations_line(self.ann_file, self.dropped), logger='current')

    def prepare_data(self, idx):
        """The pipeline's output for sample ``idx``; an error in it names the image and annotation file."""
        try:
            return super().prepare_data(idx)
        except UserInputError:
            raise
        except Exception as exc:
            info = self.get_data_info(idx)
            raise SampleError(
                f"the data pipeline failed on image '{info.get('img_path')}' (image id {info.get('img_id')}) of "
                f"'{self.ann_file}' with {type(exc).__name__}: {' '.join(str(exc).split())[:300]}. Check this "
                'image and its annotations (bbox, segmentation size and format), or remove them from the file') from exc
