"""Relative position table resizing (geometric = BEiT's code, bicubic)."""
import numpy as np
import pytest
import torch

from mmvitdet.checkpoints import resize_rel_pos_table
from mmvitdet.checkpoints.rel_pos_resize import _geometric_coords

METHODS = ['geometric', 'bicubic']


def _table(grid, heads=3, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.randn((2 * grid[0] - 1) * (2 * grid[1] - 1), heads,
                       generator=g)


def _as_2d(table, grid):
    return table.t().reshape(table.shape[1], 2 * grid[0] - 1, 2 * grid[1] - 1)


@pytest.mark.parametrize('method', METHODS)
@pytest.mark.parametrize('dst', [(64, 64), (20, 30), (7, 7), (7, 20)])
def test_centre_value_kept(method, dst):
    src = (14, 14)
    table = _table(src)
    out = resize_rel_pos_table(table, src, dst, method)
    assert out.shape == ((2 * dst[0] - 1) * (2 * dst[1] - 1), 3)
    torch.testing.assert_close(_as_2d(out, dst)[:, dst[0] - 1, dst[1] - 1],
                               _as_2d(table, src)[:, 13, 13], atol=1e-5,
                               rtol=0)


@pytest.mark.parametrize('method', METHODS)
def test_constant_table_is_exact(method):
    table = torch.full((27 * 27, 2), 0.37)
    out = resize_rel_pos_table(table, (14, 14), (64, 40), method)
    torch.testing.assert_close(out, torch.full_like(out, 0.37), atol=1e-6,
                               rtol=0)


@pytest.mark.parametrize('method', METHODS)
def test_same_size_is_identity(method):
    table = _table((14, 14))
    out = resize_rel_pos_table(table, (14, 14), (14, 14), method)
    assert torch.equal(out, table) and out is not table


@pytest.mark.parametrize('method', METHODS)
def test_smaller_grid_is_exact_centre_crop(method):
    table = _table((14, 14))
    out = resize_rel_pos_table(table, (14, 14), (7, 7), method)
    assert torch.equal(_as_2d(out, (7, 7)), _as_2d(table, (14, 14))[:, 7:20,
                                                                      7:20])


def test_geometric_keeps_near_offsets_and_spans_target():
    """BEiT's rule: offsets 0 and ±1 stay put, the last source offset lands on
    the last target offset, and spacing grows geometrically."""
    coords = _geometric_coords(27, 127)
    assert coords[13] == 0 and coords[14] == 1 and coords[12] == -1
    assert coords[-1] == pytest.approx(63, abs=1e-9)
    steps = np.diff(coords[13:])
    assert np.allclose(steps[1:] / steps[:-1], steps[1] / steps[0])
    table = _table((14, 14))
    out = _as_2d(resize_rel_pos_table(table, (14, 14), (64, 64)), (64, 64))
    src = _as_2d(table, (14, 14))
    # The spline interpolates: source samples sit at offsets 0, ±1 exactly.
    torch.testing.assert_close(out[:, 63, 64], src[:, 13, 14], atol=1e-5,
                               rtol=0)
    torch.testing.assert_close(out[:, 126, 0], src[:, 26, 0], atol=1e-5,
                               rtol=0)


def test_bad_arguments():
    with pytest.raises(ValueError, match="rel_pos_resize='linear'"):
        resize_rel_pos_table(_table((4, 4)), (4, 4), (8, 8), 'linear')
    with pytest.raises(ValueError, match='49 rows but a 5x5 grid'):
        resize_rel_pos_table(_table((4, 4)), (5, 5), (8, 8))
