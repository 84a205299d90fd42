"""2-D rotary position embedding (RoPE) of DINOv3, EVA-02 and Perception Encoder.

Each head of width D is split into two axes of D/2 channels with D/4 bands
each. The token at coordinate c on an axis is rotated, in band i, by the angle
``2 pi c / periods[i]``:

- DINOv3: ``periods[i] = base^(i / (D/4))`` (base 100; the release stores the
  buffer as ``rope_embed.periods``), centred coordinates
  ``c = 2 (k + 0.5) / n - 1`` in [-1, 1] over a span of n tokens.
- EVA-02 / PE: inverse frequencies ``1 / base^(i / (D/4))`` (base 10000), i.e.
  ``periods[i] = 2 pi base^(i / (D/4))``; integer coordinates ``k + offset``
  (EVA-02 0, PE 1) rescaled to the pre-training span: ``c = (k + offset) * ref / n``
  (EVA-02's ``VisionRotaryEmbeddingFast``; ``ref`` the pre-training grid).

``axis_order`` 'yx' gives the first D/2 channels to rows (DINOv3, EVA-02), 'xy'
to columns (PE). ``rotation`` 'half' pairs channel j with j + D/2 (DINOv3's
``rope_rotate_half``), 'interleaved' pairs 2j with 2j + 1 (EVA-02, PE).
"""
import math
from typing import Optional, Sequence, Tuple

import torch
import torch.nn as nn

COORDS = ('centered', 'index')
AXIS_ORDERS = ('yx', 'xy')
ROTATIONS = ('half', 'interleaved')
WINDOW_COORDS = ('window', 'image')
ROPE_KEYS = ('base', 'coords', 'offset', 'axis_order', 'rotation', 'window_coords')


def check_rope_cfg(rope: dict) -> dict:
    """Validate a ViT ``rope=dict(...)``; returns it with every key filled."""
    unknown = sorted(set(rope) - set(ROPE_KEYS))
    if unknown:
        raise ValueError(f'ViT rope={rope}: unknown key(s) {unknown}; allowed: {list(ROPE_KEYS)}.')
    if 'base' not in rope:
        raise ValueError(f'ViT rope={rope} needs base= (DINOv3: 100, EVA-02 / PE: 10000).')
    cfg = {**dict(coords='centered', offset=0., axis_order='yx', rotation='half', window_coords='window'), **rope}
    for key, allowed in (('coords', COORDS), ('axis_order', AXIS_ORDERS), ('rotation', ROTATIONS),
                         ('window_coords', WINDOW_COORDS)):
        if cfg[key] not in allowed:
            raise ValueError(f'ViT rope {key}={cfg[key]!r}: choose one of {allowed}.')
    if float(cfg['base']) <= 1:
        raise ValueError(f'ViT rope base={cfg["base"]} must be > 1.')
    return cfg


def rope_periods(head_dims: int, base: float, coords: str) -> torch.Tensor:
    """[D/4] periods (in coordinate units) of the released formulas, float32."""
    exponents = torch.arange(head_dims // 4, dtype=torch.float32) / (head_dims // 4)
    periods = float(base) ** exponents
    return periods if coords == 'centered' else 2 * math.pi * periods


def rotate_pairs(x: torch.Tensor, rotation: str) -> torch.Tensor:
    """The 90-degree partner of every channel: [.., D] -> [.., D]."""
    if rotation == 'half':
        x1, x2 = x.chunk(2, dim=-1)
        return torch.cat((-x2, x1), dim=-1)
    return torch.stack((-x[..., 1::2], x[..., 0::2]), dim=-1).flatten(-2)


def apply_rope(x: torch.Tensor, sin: torch.Tensor, cos: torch.Tensor, rotation: str) -> torch.Tensor:
    """Rotate queries or keys.

    Args:
        x: [B', heads, N, D]; B' = B * nW for per-window tables.
        sin, cos: [N, D] (one table for every image or window) or [nW, N, D]
            (one per window, ``window_coords='image'``), float32.

    Returns:
        [B', heads, N, D] in x's dtype (rotated in float32, as the releases).
    """
    if sin.dim() == 3:
        num_windows = sin.shape[0]
        xw = x.view(-1, num_windows, *x.shape[1:])
        out = xw * cos[:, None] + rotate_pairs(xw, rotation) * sin[:, None]
        return out.view_as(x).to(x.dtype)
    return (x * cos + rotate_pairs(x, rotation) * sin).to(x.dtype)


class RotaryEmbedding2D(nn.Module):
    """sin / cos tables of a 2-D RoPE for token grids (see the module doc).

    Args:
        head_dims: D, a multiple of 4.
        base: 100 (DINOv3) or 10000 (EVA-02, PE).
        coords: 'centered' (DINOv3) or 'index' (EVA-02, PE).
        offset: added to integer coordinates (PE: 1).
        axis_order: 'yx' or 'xy'.
        rotation: 'half' or 'interleaved'.
        ref_grid: (rows, cols) pre-training grid that 'index' coordinates are
            rescaled to.

    ``periods`` is a persistent buffer: a release's stored values (DINOv3 keeps
    bf16-rounded ones) are loaded and saved with the detector.
    """

    def __init__(self, head_dims: int, base: float, coords: str = 'centered', offset: float = 0.,
                 axis_order: str = 'yx', rotation: str = 'half',
                 ref_grid: Optional[Sequence[int]] = None):
        super().__init__()
        if head_dims % 4:
            raise ValueError(f'RoPE needs a head width divisible by 4, got {head_dims}.')
        self.head_dims, self.base, self.coords = head_dims, float(base), coords
        self.offset, self.axis_order, self.rotation = float(offset), axis_order, rotation
        self.ref_grid = tuple(ref_grid) if ref_grid is not None else None
        self.register_buffer('periods', rope_periods(head_dims, base, coords))

    def reset_parameters(self) -> None:
        self.periods.copy_(rope_periods(self.head_dims, self.base, self.coords))

    def _axis(self, count: int, span: int, ref: Optional[int], device) -> torch.Tensor:
        """[count] coordinates of positions 0..count-1 over a span of ``span`` tokens."""
        k = torch.arange(count, device=device, dtype=torch.float32)
        if self.coords == 'centered':
            return 2 * (k + 0.5) / span - 1
        k = k + self.offset
        return k * (ref / span) if ref is not None else k

    def forward(self, grid_hw: Tuple[int, int], span_hw: Optional[Tuple[int, int]] = None
                ) -> Tuple[torch.Tensor, torch.Tensor]:
        """(sin, cos), each [rows * cols, D] float32, row-major over ``grid_hw``.

        ``span_hw`` (default ``grid_hw``) is the extent the coordinates are
        normalized by (a padded grid keeps the whole image's span).
        """
        span_hw = tuple(grid_hw) if span_hw is None else tuple(span_hw)
        refs = self.ref_grid or (None, None)
        device = self.periods.device
        ys = self._axis(grid_hw[0], span_hw[0], refs[0], device)
        xs = self._axis(grid_hw[1], span_hw[1], refs[1], device)
        yy, xx = torch.meshgrid(ys, xs, indexing='ij')
        axes = (yy, xx) if self.axis_order == 'yx' else (xx, yy)
        coords = torch.stack(axes, dim=-1).flatten(0, 1)  # [N, 2]
        angles = 2 * math.pi * coords[:, :, None] / self.periods.float()[None, None, :]
        angles = angles.flatten(1)  # [N, D/2]: first axis' bands, then the second's
        if self.rotation == 'half':
            angles = torch.cat((angles, angles), dim=-1)
        else:
            angles = angles.repeat_interleave(2, dim=-1)
        return angles.sin(), angles.cos()

    def extra_repr(self) -> str:
        return (f'head_dims={self.head_dims}, base={self.base:g}, coords={self.coords}, '
                f'offset={self.offset:g}, axis_order={self.axis_order}, rotation={self.rotation}, '
                f'ref_grid={self.ref_grid}')
