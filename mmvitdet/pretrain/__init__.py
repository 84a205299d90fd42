"""mmpretrain pieces for the mini study (tools/mini_study.py); importing registers them.

Imported by the pre-training configs through ``custom_imports``, so that ``import mmvitdet``
does not import mmpretrain.
"""
from .beit_simmim import BEiTViTForSimMIM

__all__ = ['BEiTViTForSimMIM']
