from .resolution_adapter import ResolutionAdapter
from .simple_feature_pyramid import SimpleFeaturePyramid
from .stride_resample import StrideResample

__all__ = ['ResolutionAdapter', 'SimpleFeaturePyramid', 'StrideResample']
