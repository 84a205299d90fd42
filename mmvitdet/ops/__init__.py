"""mmcv's compiled ops without a compiler: a provider of ``mmcv._ext`` served by torchvision's kernels.

``ext_finder`` installs a meta-path finder that answers the one name ``mmcv._ext`` when no compiled
extension is found (it is consulted after the ordinary path finders, so a compiled mmcv wins);
``torchvision_ext`` is the module it loads under that name. This package imports neither torch nor
mmcv: the finder runs at every interpreter start (through a ``.pth`` file that ``tools/setup.sh`` writes).
"""
from .ext_finder import install, mmcv_ops_backend

__all__ = ['install', 'mmcv_ops_backend']
