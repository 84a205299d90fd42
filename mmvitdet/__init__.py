"""mmvitdet: plain-ViT Mask R-CNN transfer benchmark as an MMDetection 3.x plug-in.

Importing this package registers its modules (backbones, necks, hooks,
optimizer constructors, checkpoint loaders) in the mmdet/mmengine registries.
"""
from .version import __version__
from . import checkpoints, datasets, engine, models  # noqa: F401  (registration)

__all__ = ['__version__']
