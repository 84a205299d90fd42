"""A patch-14 file in a patch-16 ViT: kernel resized at load (patch_embed_resize), or a clear error."""
import pytest
import torch
import torch.nn.functional as F
from mmpretrain.models import VisionTransformer

from checkpoint_layouts import (C, DEPTH, TINY_MMPRETRAIN, features, our_vit,
                                randomize, timm_state)
from mmvitdet.checkpoints import CheckpointError, load_pretrained
from mmvitdet.checkpoints.load import pretrained_init_cfg
from mmvitdet.checkpoints.patch_embed_resize import (bilinear_resize_matrix,
                                                     resize_patch_kernel)

GRID = 4  # tokens per side: 56 px at patch 14, 64 px at patch 16


def resize_each_patch(x: torch.Tensor, old: int, new: int) -> torch.Tensor:
    """[B, C, g*old, g*old] -> [B, C, g*new, g*new], every patch resized on its own (bilinear)."""
    b, c, h, w = x.shape
    gh, gw = h // old, w // old
    patches = x.reshape(b, c, gh, old, gw, old).permute(0, 2, 4, 1, 3, 5).reshape(-1, c, old, old)
    patches = F.interpolate(patches, size=(new, new), mode='bilinear', align_corners=False)
    return patches.reshape(b, gh, gw, c, new, new).permute(0, 3, 1, 4, 2, 5).reshape(b, c, gh * new, gw * new)


def smooth_images(n: int, size: int, seed: int = 0) -> torch.Tensor:
    """Images without pixel-level noise (a coarse random field upsampled), like natural ones."""
    g = torch.Generator().manual_seed(seed)
    return F.interpolate(torch.randn(n, 3, 8, 8, generator=g), size=(size, size), mode='bicubic',
                         align_corners=False)


@pytest.fixture(scope='module')
def ref_p14():
    """mmpretrain ViT with 14-px patches on a 4x4 grid (56 px), no cls token."""
    ref = VisionTransformer(arch=TINY_MMPRETRAIN, img_size=56, patch_size=14,
                            out_indices=tuple(range(DEPTH)), with_cls_token=False,
                            out_type='featmap', final_norm=False)
    randomize(ref, seed=5)
    ref.eval()
    return ref


@pytest.fixture
def p14_file(tmp_path, ref_p14):
    path = str(tmp_path / 'vit_p14.pth')
    torch.save({'model': timm_state(ref_p14.state_dict())}, path)
    return path


def vit_p16(**kwargs):
    return our_vit(patch_size=16, img_size=64, pretrain_img_size=64, window_size=GRID, **kwargs)


def test_resize_matrix_is_bilinear_interpolation():
    x = torch.randn(2, 1, 14, 14, dtype=torch.float64)
    expected = F.interpolate(x, size=(16, 16), mode='bilinear', align_corners=False)
    got = (bilinear_resize_matrix(14, 16) @ x.reshape(2, 196).T).T.reshape(2, 1, 16, 16)
    torch.testing.assert_close(got, expected)


def test_pinv_kernel_gives_the_same_tokens_on_resized_patches():
    """FlexiViT's property: <resize(x), w'> = <x, w> for every 14-px patch x (exact when upsampling)."""
    g = torch.Generator().manual_seed(0)
    w = torch.randn(C, 3, 14, 14, generator=g)
    x = torch.randn(2, 3, 14 * GRID, 14 * GRID, generator=g)
    w16 = resize_patch_kernel(w, 16, 'pinv')
    assert w16.shape == (C, 3, 16, 16) and w16.dtype == w.dtype
    tokens14 = F.conv2d(x, w, stride=14)
    tokens16 = F.conv2d(resize_each_patch(x, 14, 16), w16, stride=16)
    torch.testing.assert_close(tokens16, tokens14, atol=1e-3, rtol=1e-4)


def test_pinv_beats_bilinear_on_a_whole_resized_image():
    """The image resized as a whole (what a detector sees) gives nearly the same tokens; closer with pinv."""
    w = torch.randn(C, 3, 14, 14, generator=torch.Generator().manual_seed(1))
    x = smooth_images(2, 14 * GRID)
    tokens14 = F.conv2d(x, w, stride=14)
    x16 = F.interpolate(x, size=(16 * GRID, 16 * GRID), mode='bilinear', align_corners=False)
    err = {}
    for method in ('pinv', 'bilinear'):
        tokens16 = F.conv2d(x16, resize_patch_kernel(w, 16, method), stride=16)
        err[method] = ((tokens16 - tokens14).norm() / tokens14.norm()).item()
    assert err['pinv'] < 0.02
    assert err['pinv'] < err['bilinear'] / 2


def test_pinv_matches_timm_resample_patch_embed():
    """Independent reference: timm's FlexiViT port (bilinear, no antialiasing)."""
    timm_patch_embed = pytest.importorskip('timm.layers.patch_embed')
    w = torch.randn(8, 3, 14, 14, generator=torch.Generator().manual_seed(2))
    expected = timm_patch_embed.resample_patch_embed(w, [16, 16], interpolation='bilinear', antialias=False)
    torch.testing.assert_close(resize_patch_kernel(w, 16, 'pinv'), expected, atol=1e-4, rtol=1e-4)


def test_same_size_and_bad_arguments():
    w = torch.randn(4, 3, 16, 16)
    assert resize_patch_kernel(w, 16, 'pinv') is w
    with pytest.raises(ValueError, match="patch_embed_resize='nearest' is unknown.*'pinv', 'bilinear'"):
        resize_patch_kernel(w, 14, 'nearest')
    with pytest.raises(ValueError, match=r'\[C_out, C_in, p, p\]'):
        resize_patch_kernel(torch.randn(4, 3, 16, 8), 14)


def test_p14_file_into_p16_model_needs_the_option(p14_file):
    with pytest.raises(CheckpointError) as err:
        load_pretrained(vit_p16(), p14_file)
    msg = str(err.value)
    assert p14_file in msg and 'patch size is 14x14' in msg and 'patch_size=16' in msg
    assert "patch_embed_resize='pinv'" in msg


def test_p14_file_loads_with_pinv_and_keeps_the_features(p14_file, ref_p14):
    """Every weight but the kernel is the file's; features of resized patches match the /14 reference."""
    ours = vit_p16()
    report = load_pretrained(ours, p14_file, patch_embed_resize='pinv')
    resized = {k: (a, b, how) for k, a, b, how in report.resized}
    assert resized['patch_embed.proj.weight'][:2] == ((C, 3, 14, 14), (C, 3, 16, 16))
    assert 'patch 14 -> 16, pinv' in resized['patch_embed.proj.weight'][2]
    assert 'patch_embed.proj.weight' not in dict(report.loaded)
    assert 'patch 14 -> 16, pinv' in report.to_text()
    assert 'grid' not in resized['pos_embed'][2]  # 4x4 in the file and in the model (class slot cut only)
    x = torch.randn(2, 3, 14 * GRID, 14 * GRID, generator=torch.Generator().manual_seed(3))
    for expected, got in zip(features(ref_p14, x), features(ours, resize_each_patch(x, 14, 16))):
        assert got.shape == expected.shape == (2, C, GRID, GRID)
        torch.testing.assert_close(got, expected, atol=1e-3, rtol=1e-3)


def test_bad_option_value_names_the_choices(p14_file):
    with pytest.raises(CheckpointError, match=f"{p14_file}: patch_embed_resize='bicubic' is unknown"):
        load_pretrained(vit_p16(), p14_file, patch_embed_resize='bicubic')


def test_init_cfg_key(p14_file, ref_p14):
    """The init_cfg route: the key is accepted and reaches the loader."""
    cfg = dict(type='Pretrained', checkpoint=p14_file, patch_embed_resize='pinv')
    assert pretrained_init_cfg(cfg)['patch_embed_resize'] == 'pinv'
    model = vit_p16(init_cfg=cfg)
    model.init_weights()
    expected = resize_patch_kernel(ref_p14.patch_embed.projection.weight.detach(), 16, 'pinv')
    torch.testing.assert_close(model.patch_embed.proj.weight.detach(), expected)


def test_resize_error_tool(tmp_path, capsys):
    """tools/analysis/patch_embed_resize_error.py on 2 small images: a table with pinv below bilinear."""
    import importlib.util
    from pathlib import Path
    path = Path(__file__).resolve().parents[1] / 'tools' / 'analysis' / 'patch_embed_resize_error.py'
    spec = importlib.util.spec_from_file_location('patch_embed_resize_error', path)
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    tool.main(['--num-images', '2', '--img-size', '84', '--width', '16', '--data-root', str(tmp_path / 'shapes')])
    rows = [line.split('|')[1:-1] for line in capsys.readouterr().out.splitlines() if line.startswith('| random')]
    assert len(rows) == 2
    for _, pinv, bilinear in rows:
        assert float(pinv.split()[0]) < float(bilinear.split()[0])
    with pytest.raises(SystemExit, match='not a multiple of --patch 14'):
        tool.main(['--img-size', '50'])
