"""Resize a pre-trained patch-embedding kernel to the model's patch size (e.g. 14 -> 16).

Patch-14 releases (DINOv2, CLIP ViT-L/14) meet the paper's 1024 px input, which is no
multiple of 14. Resizing the kernel to 16 keeps the detector of the paper unchanged
(stride 16, a 64x64 grid, the same pyramid and anchors). Two ways, chosen with the
``Pretrained`` init_cfg key ``patch_embed_resize``:

- ``'pinv'``: FlexiViT's pseudo-inverse resize (Beyer et al. 2023, "FlexiViT: One Model
  for All Patch Sizes", Sec. 3.4). With ``B`` the bilinear resize of a p x p patch to
  p' x p' (``x' = B x``), the new kernel is ``w' = pinv(B^T) w``, the least-norm solution
  of ``<B x, w'> = <x, w>`` for every patch ``x``: a patch resized by p'/p gives the token
  it gave before, exactly when upsampling (B has full column rank).
- ``'bilinear'``: the kernel itself resized bilinearly and scaled by (p/p')^2 so that its
  response to a flat patch stays the same. FlexiViT reports that this loses accuracy when
  upsampling the kernel, where the pseudo-inverse does not.
"""
from typing import Optional, Tuple

import torch
import torch.nn.functional as F

from .converted import ConvertedCheckpoint
from .errors import CheckpointError

PATCH_EMBED_RESIZE_METHODS = ('pinv', 'bilinear')
KEY = 'patch_embed.proj.weight'


def bilinear_resize_matrix(old: int, new: int) -> torch.Tensor:
    """[new*new, old*old] matrix B with flatten(resize(x)) = B @ flatten(x) (float64).

    Bilinear, half-pixel centres (``align_corners=False``), no antialiasing.
    """
    basis = torch.eye(old * old, dtype=torch.float64).reshape(old * old, 1, old, old)
    resized = F.interpolate(basis, size=(new, new), mode='bilinear', align_corners=False)
    return resized.reshape(old * old, new * new).T


def resize_patch_kernel(weight: torch.Tensor, new: int, method: str = 'pinv') -> torch.Tensor:
    """[C_out, C_in, p, p] kernel -> [C_out, C_in, new, new], in the kernel's dtype."""
    if method not in PATCH_EMBED_RESIZE_METHODS:
        raise ValueError(f'patch_embed_resize={method!r} is unknown: choose one of '
                         f'{PATCH_EMBED_RESIZE_METHODS}.')
    if weight.dim() != 4 or weight.shape[-1] != weight.shape[-2]:
        raise ValueError(f'a patch-embedding kernel is [C_out, C_in, p, p]; got {list(weight.shape)}')
    c_out, c_in, old, _ = weight.shape
    if old == new:
        return weight
    w = weight.detach().to(torch.float64)
    if method == 'bilinear':
        out = F.interpolate(w, size=(new, new), mode='bilinear', align_corners=False) * (old / new)**2
    else:
        resize = bilinear_resize_matrix(old, new).to(w.device)
        solve = torch.linalg.pinv(resize.T)  # [new*new, old*old]
        out = (w.reshape(c_out * c_in, old * old) @ solve.T).reshape(c_out, c_in, new, new)
    return out.to(weight.dtype)


def resize_checkpoint_patch_embed(ckpt: ConvertedCheckpoint, patch_size: int,
                                  method: Optional[str]) -> Optional[Tuple]:
    """Resize ``ckpt``'s patch kernel in place to ``patch_size`` when ``method`` is set.

    Returns the load-report row (key, file shape, new shape, how), or None when nothing
    was resized (no method, or the sizes already agree).
    """
    if method is None:
        return None
    if method not in PATCH_EMBED_RESIZE_METHODS:
        raise CheckpointError(f'{ckpt.path}: patch_embed_resize={method!r} is unknown: choose one of '
                              f'{PATCH_EMBED_RESIZE_METHODS} (or leave it out to require equal patch sizes).')
    weight = ckpt.weights.get(KEY)
    if weight is None or weight.dim() != 4 or weight.shape[-1] == patch_size:
        return None  # a missing kernel is reported by the architecture check
    src = ckpt.sources.get(KEY, (KEY, tuple(weight.shape), ''))[0]
    if weight.shape[-1] != weight.shape[-2]:
        raise CheckpointError(f'{ckpt.path}: {src} {list(weight.shape)} has a non-square patch; '
                              'patch_embed_resize handles square patches only.')
    old = weight.shape[-1]
    ckpt.weights[KEY] = resize_patch_kernel(weight, patch_size, method)
    how = f'patch {old} -> {patch_size}, {method} (patch_embed_resize)'
    return (KEY, tuple(weight.shape), tuple(ckpt.weights[KEY].shape),
            how if src == KEY else f'{how}, from {src}')
