"""``ShapesDataset``: the synthetic shapes data as an mmdet dataset, generated on first use."""
from typing import Optional

from mmengine.dist import barrier, get_dist_info
from mmdet.registry import DATASETS

from .checked_coco_dataset import CheckedCocoDataset
from .shapes import ensure_shapes_dataset


@DATASETS.register_module()
class ShapesDataset(CheckedCocoDataset):
    """CheckedCocoDataset over a shapes dataset that is generated when ``data_root`` has none.

    Args:
        generate: fields of :class:`mmvitdet.datasets.shapes.ShapesParams` (num_train,
            num_val, img_size, seed, classes, ...). When ``data_root`` holds no dataset,
            rank 0 generates it (the other ranks wait); when it holds one made with other
            parameters, loading fails and names them. None: never generate. A ``lazy_init``
            dataset (mmdet's DetInferencer builds one only to read the class names) generates
            nothing.
        Other arguments as :class:`mmdet.datasets.CocoDataset`.
    """

    def __init__(self, *args, generate: Optional[dict] = None, **kwargs) -> None:
        if generate is not None and not kwargs.get('lazy_init', False):
            data_root = kwargs.get('data_root')
            if not data_root:
                raise ValueError('ShapesDataset(generate=...) needs data_root: the folder '
                                 'the shapes dataset is generated into.')
            rank, _ = get_dist_info()
            if rank == 0:
                ensure_shapes_dataset(data_root, **generate)
            barrier()
            if rank != 0:
                ensure_shapes_dataset(data_root, **generate)  # checks, never generates
        kwargs.setdefault(
            'missing_data_hint',
            'run: python tools/generate_shapes.py DATA_ROOT, or set generate=dict(...)')
        super().__init__(*args, **kwargs)
