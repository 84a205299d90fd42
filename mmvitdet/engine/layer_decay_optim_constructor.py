"""Layer-wise lr decay (ViTDet) for a detector whose backbone is the ViT.

mmpretrain's ``LearningRateDecayOptimWrapperConstructor`` asks the top-level
model for ``get_layer_depth``, which mmdet detectors lack; this subclass
reuses its param-group rules and asks the backbone instead.
"""
import functools
from typing import List

import torch.nn as nn
from mmpretrain.engine.optimizers import \
    LearningRateDecayOptimWrapperConstructor

from mmdet.registry import OPTIM_WRAPPER_CONSTRUCTORS


@OPTIM_WRAPPER_CONSTRUCTORS.register_module()
class DetectorLayerDecayOptimWrapperConstructor(
        LearningRateDecayOptimWrapperConstructor):
    """lr of a ``backbone.*`` parameter at ViT depth d of D: lr * rate**(D - d - 1).

    With the ViT's ``get_layer_depth`` (patch/position embedding 0, block i at
    i + 1, D = blocks + 2) this is ViTDet's rule: embeddings get
    rate**(blocks + 1), the last block rate**1, and every parameter outside
    the backbone (neck, heads) the full lr.

    ``paramwise_cfg`` keys as mmpretrain's constructor: ``layer_decay_rate``
    (0.7 for ViT-B, 0.8 for ViT-L in ViTDet), ``norm_decay_mult``,
    ``bias_decay_mult``, ``flat_decay_mult``, ``custom_keys`` (decay_mult only).
    """

    def add_params(self, params: List[dict], module: nn.Module,
                   prefix: str = '', get_layer_depth=None, **kwargs) -> None:
        if prefix == '' and get_layer_depth is None:
            backbone = getattr(module, 'backbone', None)
            if not hasattr(backbone, 'get_layer_depth'):
                raise TypeError(
                    f'{type(self).__name__}: the model {type(module).__name__} '
                    f'has no backbone with get_layer_depth (its backbone is '
                    f'{type(backbone).__name__}); layer-wise lr decay needs the '
                    "ViT backbone (type='ViT'). Use the default constructor "
                    'for other backbones.')
            get_layer_depth = functools.partial(
                backbone.get_layer_depth, prefix='backbone.')
        super().add_params(params, module, prefix=prefix,
                           get_layer_depth=get_layer_depth, **kwargs)
