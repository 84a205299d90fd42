"""Resize a relative position bias table to another token grid.

Two methods, both acting on the table seen as a [heads, 2H-1, 2W-1] image of
offsets (dy, dx):

- ``'geometric'`` (default): BEiT's own fine-tuning code. The source offsets
  are placed at geometric-series coordinates 0, ±1, ±(1+q), ±(1+q+q²), ...
  with q chosen so that the largest source offset lands on the largest target
  offset, and a cubic interpolating spline is evaluated at the integer target
  offsets. Near offsets keep their token spacing and far ones are stretched,
  which is what BEiT did whenever it changed resolution, the code base the
  paper's BEiT results come from. BEiT called ``scipy.interpolate.interp2d(
  kind='cubic')``, removed in SciPy 1.14; on a rectilinear grid that is FITPACK's
  interpolating bicubic spline, i.e. ``RectBivariateSpline(kx=3, ky=3, s=0)``,
  used here. interp2d took ``(x, y, z)`` with ``z[y, x]``; RectBivariateSpline
  takes ``(y, x, z)`` for the same array, hence the argument order below.
- ``'bicubic'``: ``F.interpolate(mode='bicubic', align_corners=False)``, the
  uniform stretch used by MIMDet and by the ViT's on-the-fly fallback.

Both keep the offset-0 entry, reproduce a constant table exactly, and are the
identity for an unchanged grid. Along an axis where the target grid is not
larger, the table is centre-cropped instead: the smaller grid's offsets are a
subset of the source's, so the crop is exact (the model's runtime lookup does
the same).

mmpretrain 1.2's ``resize_relative_position_bias_table`` still calls interp2d
and fails on current SciPy, hence this module.
"""
from typing import Tuple

import numpy as np
import torch
import torch.nn.functional as F
from scipy.interpolate import RectBivariateSpline

RESIZE_METHODS = ('geometric', 'bicubic')


def _geometric_coords(src_len: int, dst_len: int) -> np.ndarray:
    """Source-offset coordinates (length ``src_len``) in target-offset units.

    Offsets 0, ±1, ±(1+q), ... with q > 1 solving 1 + q + ... + q^(n-1) =
    dst_len // 2 for n = src_len // 2 (found by bisection).
    """
    n, target = src_len // 2, dst_len // 2

    def series(q):
        return float(n) if q == 1.0 else (q**n - 1.0) / (q - 1.0)

    lo, hi = 1.0, 2.0
    while series(hi) < target:
        hi *= 2.0
    for _ in range(200):
        mid = (lo + hi) / 2.0
        lo, hi = (mid, hi) if series(mid) < target else (lo, mid)
    q = (lo + hi) / 2.0
    pos = np.cumsum(q**np.arange(n))  # 1, 1+q, 1+q+q^2, ...
    return np.concatenate([-pos[::-1], [0.0], pos])


def _centre_crop(table_2d: torch.Tensor, size: Tuple[int, int]) -> torch.Tensor:
    """Crop a [heads, h, w] table to the centre ``size`` (both odd)."""
    h, w = table_2d.shape[-2:]
    top, left = (h - size[0]) // 2, (w - size[1]) // 2
    return table_2d[:, top:top + size[0], left:left + size[1]]


def _resize_geometric(table_2d: torch.Tensor,
                      size: Tuple[int, int]) -> torch.Tensor:
    """Geometric-series spline resampling of [heads, h, w] to [heads, *size]."""
    axes = []
    for src, dst in zip(table_2d.shape[-2:], size):
        if src < 2:
            raise ValueError(
                f'cannot resample a relative table of length {src}: a grid '
                'side of 1 token has no offsets to interpolate between.')
        coords = (_geometric_coords(src, dst) if dst > src else
                  np.arange(src, dtype=np.float64) - src // 2)
        axes.append((coords, np.arange(dst, dtype=np.float64) - dst // 2,
                     min(3, src - 1)))
    (c0, d0, k0), (c1, d1, k1) = axes
    out = []
    for z in table_2d.double().cpu().numpy():
        spline = RectBivariateSpline(c0, c1, z, kx=k0, ky=k1, s=0)
        out.append(spline(d0, d1))
    return torch.from_numpy(np.stack(out)).to(table_2d)


def resize_rel_pos_table(table: torch.Tensor,
                         src_grid: Tuple[int, int],
                         dst_grid: Tuple[int, int],
                         method: str = 'geometric') -> torch.Tensor:
    """Resize a relative position table from one token grid to another.

    Args:
        table: [(2h-1)*(2w-1), heads] table in BEiT row order (no cls rows)
            for a grid ``src_grid`` = (h, w).
        src_grid: (h, w) the table was built for, in tokens.
        dst_grid: (H, W) to build it for, in tokens.
        method: 'geometric' (default, BEiT's code) or 'bicubic'.

    Returns:
        [(2H-1)*(2W-1), heads] table, same dtype and device as ``table``.
    """
    if method not in RESIZE_METHODS:
        raise ValueError(f'rel_pos_resize={method!r} is unknown: choose one '
                         f'of {RESIZE_METHODS}.')
    (h, w), (H, W) = tuple(src_grid), tuple(dst_grid)
    rows, heads = table.shape
    if rows != (2 * h - 1) * (2 * w - 1):
        raise ValueError(f'relative table has {rows} rows but a {h}x{w} grid '
                         f'needs (2*{h}-1)*(2*{w}-1)={(2*h-1)*(2*w-1)}.')
    if (h, w) == (H, W):
        return table.clone()
    table_2d = table.t().reshape(heads, 2 * h - 1, 2 * w - 1).float()
    table_2d = _centre_crop(table_2d, (min(2 * h, 2 * H) - 1,
                                       min(2 * w, 2 * W) - 1))
    target = (2 * H - 1, 2 * W - 1)
    if tuple(table_2d.shape[-2:]) != target:
        if method == 'geometric':
            table_2d = _resize_geometric(table_2d, target)
        else:
            table_2d = F.interpolate(table_2d[None], size=target,
                                     mode='bicubic', align_corners=False)[0]
    return table_2d.reshape(heads, -1).t().contiguous().to(table.dtype)
