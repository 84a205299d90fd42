"""RoI heads (registered in mmdet's MODELS registry)."""
from .vitdet_cascade_roi_head import ViTDetCascadeRoIHead, scale_gradient

__all__ = ['ViTDetCascadeRoIHead', 'scale_gradient']
