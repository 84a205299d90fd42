"""Activations a pre-trained ViT may need beyond torch's GELU.

``dict(type='GELU')`` (exact, erf) and ``dict(type='GELU', approximate='tanh')``
(SigLIP, timm's ``gelu_tanh``, HF's ``gelu_pytorch_tanh``) are torch's
``nn.GELU`` as mmcv registers it. ``dict(type='QuickGELU')`` is OpenAI CLIP's
``x * sigmoid(1.702 x)``: mmpretrain's class, registered here under its plain
name in mmengine's root registry so that it builds from any scope (mmpretrain
keeps it in its own scope only).
"""
from mmcv.cnn import build_activation_layer
from mmengine.registry import MODELS as ROOT_MODELS
from mmpretrain.models.utils import QuickGELU

if ROOT_MODELS.get('QuickGELU') is None:
    ROOT_MODELS.register_module(name='QuickGELU', module=QuickGELU)

__all__ = ['QuickGELU', 'build_activation_layer']
