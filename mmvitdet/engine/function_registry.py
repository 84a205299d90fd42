"""An mmdet-scoped child of mmengine's ``function`` registry.

mmdet 3.3 declares no ``function`` registry, so every lookup of a collate function with mmdet as the default scope
(mmdet's DetInferencer, ``tools/demo.py``) logs 'Failed to search registry with scope "mmdet" in the "function"
registry tree' and falls back to mmengine's. This empty child makes the search succeed; lookups then continue in
its parent, mmengine's registry, exactly as the fallback did.
"""
from mmengine.registry import FUNCTIONS, Registry

MMDET_FUNCTIONS = FUNCTIONS.children.get('mmdet') or Registry('function', parent=FUNCTIONS, scope='mmdet')
