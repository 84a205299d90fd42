"""Resolution adapter (paper) and simple feature pyramid (ViTDet)."""
import pytest
import torch
from mmdet.registry import MODELS

import mmvitdet  # noqa: F401  (registration)


def _taps(channels=32, hw=(8, 6), n=4):
    return tuple(torch.randn(2, channels, *hw) for _ in range(n))


def test_resolution_adapter_maps_stride16_taps_to_strides_4_to_32():
    adapter = MODELS.build(
        dict(type='ResolutionAdapter', in_channels=32,
             norm_cfg=dict(type='GN', num_groups=8)))
    outs = adapter(_taps())
    assert [tuple(o.shape) for o in outs] == [(2, 32, 32, 24), (2, 32, 16, 12),
                                              (2, 32, 8, 6), (2, 32, 4, 3)]
    four_x = adapter.rescales[0]
    assert [type(m).__name__ for m in four_x] == [
        'ConvTranspose2d', 'GroupNorm', 'GELU', 'ConvTranspose2d'
    ]


def test_resolution_adapter_feeds_mmdet_fpn_with_bn():
    adapter = MODELS.build(
        dict(type='ResolutionAdapter', in_channels=32,
             norm_cfg=dict(type='GN', num_groups=8)))
    fpn = MODELS.build(
        dict(type='FPN', in_channels=[32] * 4, out_channels=16, num_outs=5,
             norm_cfg=dict(type='BN')))
    outs = fpn(adapter(_taps()))
    assert [o.shape[-1] for o in outs] == [24, 12, 6, 3, 2]


def test_simple_feature_pyramid_uses_last_tap_and_adds_p6():
    sfp = MODELS.build(
        dict(type='SimpleFeaturePyramid', in_channels=32, out_channels=16))
    taps = _taps()
    outs = sfp(taps)
    assert [tuple(o.shape) for o in outs] == [(2, 16, 32, 24), (2, 16, 16, 12),
                                              (2, 16, 8, 6), (2, 16, 4, 3),
                                              (2, 16, 2, 2)]
    # only the last tap matters
    changed = (torch.zeros_like(taps[0]), ) + taps[1:]
    torch.testing.assert_close(sfp(changed)[0], outs[0])
    assert type(sfp.rescales[0][1]).__name__ == 'LayerNorm2d'


def test_adapter_rejects_mismatched_taps():
    with pytest.raises(ValueError, match='one scale per backbone tap'):
        MODELS.build(dict(type='ResolutionAdapter', in_channels=[32, 32]))
    adapter = MODELS.build(
        dict(type='ResolutionAdapter', in_channels=32,
             norm_cfg=dict(type='GN', num_groups=8)))
    with pytest.raises(ValueError, match='out_indices'):
        adapter(_taps(n=3))
    with pytest.raises(ValueError, match='scale factor 3.0'):
        MODELS.build(dict(type='ResolutionAdapter', in_channels=32,
                          scale_factors=(4, 2, 1, 3)))
