"""Synthetic shapes dataset (generation) and COCO input checks (registered dataset/transform)."""
from .checked_coco_dataset import CheckedCocoDataset
from .checked_loading import CheckedLoadImageFromFile, ImageReadError
from .shapes import (ShapesDatasetError, ShapesParams, ShapesPaths, ensure_shapes_dataset,
                     generate_shapes_dataset)
from .shapes_dataset import ShapesDataset
from .validation import AnnotationFormatError, DataNotFoundError

__all__ = [
    'CheckedCocoDataset', 'CheckedLoadImageFromFile', 'ImageReadError', 'ShapesDatasetError',
    'ShapesParams', 'ShapesPaths', 'ensure_shapes_dataset', 'generate_shapes_dataset',
    'AnnotationFormatError', 'DataNotFoundError', 'ShapesDataset'
]
