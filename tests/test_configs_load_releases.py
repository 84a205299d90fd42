"""Each new-init config, as written, loads a (tiny) file in its release's layout and matches the release's model.

The backbone of each config keeps every option (eps, activation, layer scale, pre-norm, patch bias, grids,
init_cfg with format and patch_embed_resize) and only shrinks width/depth and the input; the file is written in
the release layout from a timm or transformers reference (tests/layouts_timm_hf.py). Where the config's grid is
the tiny file's, the features must equal the reference's: for CLIP ViT-L/14 through the 14 -> 16 kernel resize,
on an image whose patches are resized by 16/14.
"""
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope

from checkpoint_layouts import DEPTH, HEADS, C
from layouts_timm_hf import (IMG, dino_backbone, dinov2_hub_state, hf_features, hf_model, openai_clip_state,
                             save_hf_folder, save_torchscript, timm_features, timm_reference)
from mmdet.registry import MODELS
from mmvitdet.checkpoints import load_pretrained
from mmvitdet.checkpoints.load import pretrained_init_cfg
from test_configs_new_inits import config_path
from test_patch_embed_resize import resize_each_patch


def write_release(init, size, folder):
    """(path of a tiny file in the release layout of ``init``, reference model, kind for features)."""
    if init == 'dino':
        ref = timm_reference(patch=16)
        path = str(folder / 'dino_vitbase16_pretrain.pth')
        torch.save(dino_backbone(ref), path)
        return path, ref, 'timm'
    if init == 'dinov2':
        ref = timm_reference(patch=14, layer_scale=True)
        path = str(folder / f'dinov2_vit{size}14_pretrain.pth')
        torch.save(dinov2_hub_state(ref), path)
        return path, ref, 'timm'
    if init == 'clip':  # OpenAI's TorchScript archive; the layout implies width / 64 heads
        ref = timm_reference(patch=16 if size == 'b' else 14, eps=1e-5, act='quick_gelu', pre_norm=True,
                             heads=C // 64)
        path = str(folder / ('ViT-B-16.pt' if size == 'b' else 'ViT-L-14.pt'))
        save_torchscript(openai_clip_state(ref), path)
        return path, ref, 'timm'
    model = hf_model('siglip')
    return save_hf_folder(model, folder / 'siglip'), model, 'siglip'


def config_backbone(init, size, checkpoint, monkeypatch, img_size):
    """The config's ViT at tiny width/depth and ``img_size`` px, all blocks global, taps after every block."""
    monkeypatch.setenv('MMVITDET_CHECKPOINTS', '/unused')
    bb = Config.fromfile(str(config_path(init, size))).model.backbone
    heads = C // 64 if init == 'clip' else HEADS
    cfg = dict(bb, arch=dict(embed_dims=C, num_layers=DEPTH, num_heads=heads, mlp_ratio=4), img_size=img_size,
               global_attn_indices=tuple(range(DEPTH)), out_indices=tuple(range(DEPTH)), drop_path_rate=0.0,
               with_cp=False, init_cfg=dict(bb.init_cfg, checkpoint=checkpoint))
    with DefaultScope.overwrite_default_scope('mmdet'):
        return MODELS.build(cfg).eval(), cfg['init_cfg']


CASES = [('dino', 'b'), ('dinov2', 'b'), ('dinov2', 'l'), ('clip', 'b'), ('clip', 'l'), ('siglip', 'b'),
         ('siglip', 'l')]


@pytest.mark.parametrize('init, size', CASES, ids=lambda v: str(v))
def test_config_loads_its_release_layout(init, size, tmp_path, monkeypatch):
    path, ref, kind = write_release(init, size, tmp_path)
    file_patch = 14 if (init, size) in (('dinov2', 'b'), ('dinov2', 'l'), ('clip', 'l')) else 16
    # the 224-px reference's grid at the model's patch 16: 224 px (/16), 256 px (/14 files)
    vit, init_cfg = config_backbone(init, size, path, monkeypatch, img_size=IMG // file_patch * 16)
    report = load_pretrained(vit, **pretrained_init_cfg(init_cfg))
    resized = {key: how for key, _, _, how in report.resized}
    if file_patch == 14:
        assert 'patch 14 -> 16, pinv' in resized['patch_embed.proj.weight']
    else:
        assert 'patch_embed.proj.weight' not in resized
    x = torch.randn(2, 3, IMG, IMG, generator=torch.Generator().manual_seed(1))
    if vit.pretrain_grid_size != (IMG // file_patch, ) * 2:
        # the config's pre-training grid differs from the tiny file's (DINOv2: 37 vs 16, SigLIP-L: 16 vs 14):
        # resized at load; the model runs
        assert 'grid, bicubic' in resized['pos_embed']
        with torch.no_grad():
            assert all(torch.isfinite(o).all() for o in vit(resize_each_patch(x, file_patch, 16)))
        return
    if file_patch == 14:  # CLIP-L: 16 x 16 patches of 14 px = 224 px; the model sees them resized to 16 px
        expected = timm_features(ref, x)
        with torch.no_grad():
            got = vit(resize_each_patch(x, 14, 16))
    else:
        expected = timm_features(ref, x) if kind == 'timm' else hf_features(kind, ref, x)
        with torch.no_grad():
            got = vit(x)
    for e, g in zip(expected, got):
        torch.testing.assert_close(g, e, atol=2e-4, rtol=1e-3)


def test_converter_takes_patch_embed_resize_from_the_config(tmp_path, monkeypatch, capsys):
    """convert_vit.py --config (DINOv2 ViT-B/14, tiny): the config's patch_embed_resize='pinv' applies;
    the written file then loads into the /16 model as is."""
    import importlib.util
    from pathlib import Path

    from mmvitdet.checkpoints.patch_embed_resize import resize_patch_kernel
    src, ref, _ = write_release('dinov2', 'b', tmp_path)
    config = tmp_path / 'tiny_dinov2.py'
    config.write_text(f"_base_ = '{config_path('dinov2', 'b')}'\n"
                      f'model = dict(backbone=dict(arch=dict(_delete_=True, embed_dims={C}, num_layers={DEPTH}, '
                      f'num_heads={HEADS}, mlp_ratio=4), img_size=256, global_attn_indices=(1, 3), '
                      'out_indices=(1, 3)))\n')
    tool = Path(__file__).resolve().parents[1] / 'tools' / 'model_converters' / 'convert_vit.py'
    spec = importlib.util.spec_from_file_location('convert_vit', tool)
    cli = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(cli)
    monkeypatch.setenv('MMVITDET_CHECKPOINTS', str(tmp_path))
    dst = str(tmp_path / 'converted.pth')
    assert cli.main([src, dst, '--config', str(config)]) == 0
    assert 'patch 14 -> 16, pinv' in capsys.readouterr().out
    vit, _ = config_backbone('dinov2', 'b', dst, monkeypatch, img_size=256)
    report = load_pretrained(vit, dst)  # mmvitdet format, patch 16 already
    assert 'patch_embed.proj.weight' in dict(report.loaded)
    expected = resize_patch_kernel(ref.patch_embed.proj.weight.detach(), 16, 'pinv')
    torch.testing.assert_close(vit.patch_embed.proj.weight.detach(), expected)
    # the same config without the key: the patch-size error names the option
    no_resize = tmp_path / 'tiny_dinov2_no_resize.py'
    no_resize.write_text(f"_base_ = '{config}'\nmodel = dict(backbone=dict(init_cfg=dict(_delete_=True, "
                         "type='Pretrained', checkpoint='unused.pth', format='dinov2')))\n")
    assert cli.main([src, str(tmp_path / 'other.pth'), '--config', str(no_resize)]) == 2  # input error status
    err = capsys.readouterr().err
    assert 'patch size is 14x14' in err and "patch_embed_resize='pinv'" in err
    assert cli.main([src, str(tmp_path / 'other.pth'), '--config', str(no_resize),
                     '--patch-embed-resize', 'bilinear']) == 0
    assert 'patch 14 -> 16, bilinear' in capsys.readouterr().out


def test_native_patch14_ablation_loads_dinov2_without_resize(tmp_path, monkeypatch):
    """configs/ablations/patch14 (tiny): the 14-px kernel as is, taps of a 1036-px-style padded grid."""
    src, ref, _ = write_release('dinov2', 'b', tmp_path)
    monkeypatch.setenv('MMVITDET_CHECKPOINTS', str(tmp_path))
    path = config_path('dinov2', 'b').parents[1] / 'ablations' / 'patch14' / \
        'mask-rcnn_vit-b-dinov2-native-p14_fpn_lsj-100e_coco.py'
    bb = Config.fromfile(str(path)).model.backbone
    cfg = dict(bb, arch=dict(embed_dims=C, num_layers=DEPTH, num_heads=HEADS, mlp_ratio=4), img_size=128,
               global_attn_indices=(1, 3), out_indices=(1, 3), with_cp=False)
    assert cfg['init_cfg']['checkpoint'] == src
    with DefaultScope.overwrite_default_scope('mmdet'):
        vit = MODELS.build(cfg).eval()
    report = load_pretrained(vit, **pretrained_init_cfg(cfg['init_cfg']))
    assert 'patch_embed.proj.weight' in dict(report.loaded)
    torch.testing.assert_close(vit.patch_embed.proj.weight, ref.patch_embed.proj.weight)
    with torch.no_grad():
        outs = vit(torch.randn(1, 3, 128, 128))
    assert [tuple(o.shape) for o in outs] == [(1, C, 10, 10)] * 2  # 128 px padded to 140 = 10 x 14
