"""mmvitdet: plain-ViT Mask R-CNN transfer benchmark as an MMDetection 3.x plug-in.

Importing this package registers its modules (backbones, necks, hooks,
optimizer constructors, checkpoint loaders) in the mmdet/mmengine registries.
"""
from .ops import ext_finder as _ext_finder

_ext_finder.install()  # before anything imports mmcv.ops, where no .pth did it (PYTHONPATH checkouts, the GPU check)

from .version import __version__  # noqa: E402
from . import checkpoints, datasets, engine, evaluation, models  # noqa: F401  (registration)

__all__ = ['__version__']
