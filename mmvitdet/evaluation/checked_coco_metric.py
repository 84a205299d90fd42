"""``CheckedCocoMetric``: mmdet's CocoMetric whose labels map to category ids by id, not by name."""
from typing import Dict, Optional, Sequence

from mmdet.evaluation import CocoMetric
from mmdet.registry import METRICS
from mmengine.fileio import get_local_path

from ..datasets.validation import CheckedCOCO


@METRICS.register_module()
class CheckedCocoMetric(CocoMetric):
    """CocoMetric that reads the ground truth through :class:`CheckedCOCO` (checked file; a class name declared
    under two category ids is an error, not a silent extra id) and, with ``category_ids``, maps label ``i`` to
    ``category_ids[i]``, as :class:`CheckedCocoDataset` does with the same argument.

    mmdet's CocoMetric looks the ids up by name (``get_cat_ids(cat_names=classes)``); an export that declares a
    placeholder category under a class's name (Roboflow's id 0) would then get one id too many, shifting every
    label after it onto the wrong category.

    Args:
        category_ids: the category id of each class of the dataset, in class order. Other arguments as
            :class:`mmdet.evaluation.CocoMetric`.
    """

    def __init__(self, *args, ann_file: Optional[str] = None, category_ids: Optional[Sequence[int]] = None,
                 sort_categories: bool = False, **kwargs) -> None:
        if sort_categories:
            raise ValueError(f'CheckedCocoMetric(ann_file={ann_file!r}): sort_categories is not supported; '
                             'category_ids fix the label -> category mapping')
        super().__init__(*args, ann_file=None, **kwargs)
        if ann_file is not None:
            with get_local_path(ann_file, backend_args=self.backend_args) as local_path:
                self._coco_api = CheckedCOCO(local_path, category_ids=category_ids)
        self.category_ids = None if category_ids is None else list(category_ids)
        self.cat_ids = self.category_ids  # CocoMetric fills cat_ids by name only while it is None

    def compute_metrics(self, results: list) -> Dict[str, float]:
        """CocoMetric's metrics over the images that were evaluated.

        mmdet scores every image of the annotation file; an evaluation of part of the set (``indices`` on the
        dataset, as ``tools/train.py --short`` does) would then count the ground truth of the others as missed.
        """
        self.img_ids = sorted({pred['img_id'] for _, pred in results})
        return super().compute_metrics(results)
