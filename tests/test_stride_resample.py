"""StrideResample: patch-14 taps onto the stride-16 pyramid, aligned to the image."""
import pytest
import torch

from mmvitdet.models import ViT
from mmvitdet.models.necks import StrideResample


def pixel_ramp(cells: int, stride: int) -> torch.Tensor:
    """[1, 2, cells, cells]: channel 0 holds each cell's x pixel centre, channel 1 its y."""
    centre = torch.arange(cells, dtype=torch.float64) * stride + stride / 2
    return torch.stack([centre.view(1, -1).expand(cells, cells), centre.view(-1, 1).expand(cells, cells)])[None]


def test_stride_14_grid_of_1036_px_becomes_the_64x64_grid_of_1024_px():
    """A quantity linear in pixel position is read at every stride-16 cell centre (16 j + 8)."""
    (out, ) = StrideResample(14, 16)((pixel_ramp(74, 14), ))
    assert out.shape == (1, 2, 64, 64)
    torch.testing.assert_close(out, pixel_ramp(64, 16))


def test_every_tap_is_resampled_and_same_stride_is_identity():
    feats = tuple(torch.randn(2, 8, 74, 74) for _ in range(4))
    assert all(o.shape == (2, 8, 64, 64) for o in StrideResample(14, 16)(feats))
    assert StrideResample(16, 16)(feats) == feats


@pytest.mark.parametrize('kwargs, match', [
    (dict(in_stride=0), 'in_stride=0 and out_stride=16 must be positive'),
    (dict(mode='area'), "mode='area' is unknown"),
])
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        StrideResample(**kwargs)


def test_native_patch14_vit_then_resample_matches_the_stride16_pyramid():
    """A tiny patch-14 ViT on a 256-px input: padded to 266 = 19 x 14, taps resampled to 16x16 (256 / 16)."""
    vit = ViT(arch=dict(embed_dims=32, num_layers=4, num_heads=2), img_size=256, patch_size=14,
              pretrain_img_size=112, window_size=8, global_attn_indices=(1, 3), use_rel_pos_bias='shared').eval()
    with torch.no_grad():
        taps = vit(torch.randn(1, 3, 256, 256))
    assert [t.shape[-1] for t in taps] == [19] * 4
    assert [t.shape for t in StrideResample(14, 16)(taps)] == [(1, 32, 16, 16)] * 4
