"""tools/model_converters/convert_vit.py: official file -> mmvitdet file."""
import os
import subprocess
import sys

import torch

from checkpoint_layouts import (assert_same_features, our_vit, reference_beit,
                                reference_vit, timm_state, unilm_beit_state)
from mmvitdet.checkpoints import load_pretrained, read_checkpoint

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCRIPT = os.path.join(ROOT, 'tools', 'model_converters', 'convert_vit.py')
sys.path.insert(0, os.path.dirname(SCRIPT))
import convert_vit  # noqa: E402

BACKBONE = ("model = dict(backbone=dict(type='ViT', arch=dict(embed_dims=64, "
            "num_layers=4, num_heads=4), img_size={img}, window_size=14, "
            "global_attn_indices=(1, 3), out_indices=(0, 1, 2, 3), "
            "use_rel_pos_bias='shared', qkv_bias={qkv}, "
            "layer_scale_init_value={ls}, "
            "init_cfg=dict(type='Pretrained', checkpoint='unused.pth')))\n")


def _config(tmp_path, img=224, qkv=True, ls=None):
    path = tmp_path / f'cfg_{img}_{qkv}.py'
    path.write_text(BACKBONE.format(img=img, qkv=repr(qkv), ls=ls))
    return str(path)


def test_mae_file_round_trip(tmp_path, capsys):
    ref = reference_vit()
    src = str(tmp_path / 'mae.pth')
    torch.save({'model': timm_state(ref.state_dict())}, src)
    dst = str(tmp_path / 'out' / 'mae_mmvitdet.pth')
    assert convert_vit.main([src, dst, '--config', _config(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert 'format: timm' in out and f'wrote {dst}' in out
    assert os.listdir(tmp_path / 'out') == ['mae_mmvitdet.pth']  # no temp left
    converted = read_checkpoint(dst)
    assert converted.format == 'mmvitdet' and not converted.rel_tables
    meta = converted.meta
    assert meta['source_format'] == 'timm' and meta['source'] == src
    ours = our_vit(use_rel_pos_bias='shared')
    report = load_pretrained(ours, dst)
    assert {k for k, _, _ in report.new} == {
        'rel_pos_bias_window.relative_position_bias_table',
        'rel_pos_bias_global.relative_position_bias_table'}
    assert_same_features(ref, ours)


def test_beit_file_matches_direct_load(tmp_path):
    src = str(tmp_path / 'beit.pth')
    torch.save({'model': unilm_beit_state(
        reference_beit(shared=True).state_dict())}, src)
    dst = str(tmp_path / 'beit_mmvitdet.pth')
    cfg = _config(tmp_path, img=320, qkv='qv', ls=0.1)
    assert convert_vit.main([src, dst, '--config', cfg]) == 0
    kwargs = dict(img_size=320, use_rel_pos_bias='shared', qkv_bias='qv',
                  layer_scale_init_value=0.1)
    direct, via_file = our_vit(**kwargs), our_vit(**kwargs)
    load_pretrained(direct, src)
    report = load_pretrained(via_file, dst)
    assert [k for k, _, _ in report.new] == ['pos_embed']  # random again
    for key, value in direct.state_dict().items():
        if key != 'pos_embed':
            torch.testing.assert_close(via_file.state_dict()[key], value)


def test_refuses_overwrite_and_reports_errors(tmp_path, capsys):
    src = str(tmp_path / 'deit.pth')
    torch.save({'model': timm_state(reference_vit().state_dict())}, src)
    dst = tmp_path / 'taken.pth'
    dst.write_bytes(b'keep me')
    cfg = _config(tmp_path)
    assert convert_vit.main([src, str(dst), '--config', cfg]) == 2
    assert 'exists: pass --force' in capsys.readouterr().err
    assert dst.read_bytes() == b'keep me'
    assert convert_vit.main([src, str(dst), '--config', cfg, '--force']) == 0
    assert read_checkpoint(str(dst)).format == 'mmvitdet'
    # a ViT-B layer count/width is inferred; this tiny one matches no arch
    assert convert_vit.main([src, str(tmp_path / 'x.pth')]) == 2
    assert 'match none of' in capsys.readouterr().err


def test_runs_as_a_script(tmp_path):
    src = str(tmp_path / 'deit.pth')
    torch.save({'model': timm_state(reference_vit().state_dict())}, src)
    dst = str(tmp_path / 'deit_mmvitdet.pth')
    result = subprocess.run(
        [sys.executable, SCRIPT, src, dst, '--config', _config(tmp_path)],
        capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert result.returncode == 0, result.stderr
    assert 'newly initialized' in result.stdout and os.path.isfile(dst)
