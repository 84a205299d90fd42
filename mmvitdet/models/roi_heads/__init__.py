"""RoI heads (registered in mmdet's MODELS registry)."""
from .balanced_cascade_roi_head import BalancedCascadeRoIHead, scale_gradient

__all__ = ['BalancedCascadeRoIHead', 'scale_gradient']
