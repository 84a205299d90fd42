"""Evaluation metrics (registered in mmdet's METRICS registry)."""
from .checked_coco_metric import CheckedCocoMetric

__all__ = ['CheckedCocoMetric']
