"""GPU acceptance check of the paper's detector in one command (``tools/gpu_check.py``).

Nothing is imported here: the set-up modules (``cpp_items``, ``mmcv_source``, ``cxx_standard``, ``carried``) use the
standard library only, because on a GPU machine without a registry they run before mmcv and mmdet are installed.
"""
