from .resolution_adapter import ResolutionAdapter
from .simple_feature_pyramid import SimpleFeaturePyramid

__all__ = ['ResolutionAdapter', 'SimpleFeaturePyramid']
