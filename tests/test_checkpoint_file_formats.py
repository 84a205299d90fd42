"""Reading before layout detection: .safetensors (never unpickled), model folders (sharded too), URLs, bad files;
and the converter CLI on these formats."""
import json
import os
import pickle
import sys

import pytest
import torch
from safetensors.torch import save_file

from checkpoint_layouts import C, our_vit, reference_vit, timm_state
from mmvitdet.checkpoints import CheckpointError, load_pretrained, read_checkpoint
from mmvitdet.checkpoints.file_formats import read_weights

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, 'tools', 'model_converters'))
import convert_vit  # noqa: E402


def _timm_file(tmp_path, name='model.safetensors'):
    """A timm-layout file of a small reference (see checkpoint_layouts.timm_state)."""
    ref = reference_vit()
    state = {k: v.contiguous() for k, v in timm_state(ref.state_dict()).items()}
    path = tmp_path / name
    save_file(state, str(path))
    return ref, state, str(path)


def _features(model, seed=1):
    x = torch.randn(1, 3, 224, 224, generator=torch.Generator().manual_seed(seed))
    with torch.no_grad():
        return model(x)


def _forbid_unpickling(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError('unpickling attempted')

    for name in ('load', 'loads', 'Unpickler'):
        monkeypatch.setattr(pickle, name, refuse)
    monkeypatch.setattr(torch, 'load', refuse)


def test_safetensors_file_and_folder_are_never_unpickled(tmp_path, monkeypatch):
    ref, _, path = _timm_file(tmp_path)
    (tmp_path / 'config.json').write_text('{"architecture": "vit_tiny"}')
    _forbid_unpickling(monkeypatch)
    for source in (path, str(tmp_path)):
        ours = our_vit()
        report = load_pretrained(ours, source)
        assert report.notes[0] == 'read with safetensors (no unpickling)'
        for e, g in zip(_features(ref), _features(ours)):
            torch.testing.assert_close(g, e, atol=2e-5, rtol=1e-4)


def test_safetensors_and_pth_give_the_same_weights(tmp_path):
    _, state, path = _timm_file(tmp_path)
    torch.save({'model': state}, tmp_path / 'model.pth')
    a = read_checkpoint(path).weights
    b = read_checkpoint(str(tmp_path / 'model.pth')).weights
    assert a.keys() == b.keys()
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_truncated_safetensors_names_the_file_and_the_fix(tmp_path):
    _, _, path = _timm_file(tmp_path)
    data = open(path, 'rb').read()
    cut = tmp_path / 'cut.safetensors'
    cut.write_bytes(data[:len(data) // 2])
    with pytest.raises(CheckpointError, match=r'cut.safetensors: cannot read.*truncated \(\d+ bytes; its header '
                                              rf'announces {len(data)}\).*Re-download'):
        read_checkpoint(str(cut))
    junk = tmp_path / 'junk.safetensors'
    junk.write_bytes(b'not a checkpoint at all')
    with pytest.raises(CheckpointError, match=r'junk.safetensors: .*not a valid safetensors file'):
        read_checkpoint(str(junk))


def test_sharded_folder_reads_every_shard(tmp_path):
    _, state, path = _timm_file(tmp_path)
    folder = tmp_path / 'sharded'
    folder.mkdir()
    keys = sorted(state)
    shards = {'model-00001-of-00002.safetensors': keys[::2], 'model-00002-of-00002.safetensors': keys[1::2]}
    for name, part in shards.items():
        save_file({k: state[k] for k in part}, str(folder / name))
    index = {'metadata': {}, 'weight_map': {k: n for n, part in shards.items() for k in part}}
    (folder / 'model.safetensors.index.json').write_text(json.dumps(index))
    loaded = read_weights(str(folder))
    assert sorted(loaded.obj) == keys and len(loaded.files) == 2
    os.remove(folder / 'model-00002-of-00002.safetensors')
    with pytest.raises(CheckpointError, match=r'index.json lists shard model-00002-of-00002.safetensors, which is '
                                              'missing'):
        read_weights(str(folder))


def test_folder_without_weights_says_what_it_needs(tmp_path):
    (tmp_path / 'config.json').write_text('{}')
    with pytest.raises(CheckpointError, match=r"folder without model weights \(found \['config.json'\]\).*"
                                              r"model.safetensors"):
        read_weights(str(tmp_path))


def test_wrong_layout_in_safetensors(tmp_path):
    path = tmp_path / 'resnet.safetensors'
    save_file({'conv1.weight': torch.zeros(8, 3, 7, 7), 'layer1.0.conv1.weight': torch.zeros(8, 8, 1, 1)},
              str(path))
    with pytest.raises(CheckpointError, match=r'resnet.safetensors: not a ViT checkpoint in any known layout.*'
                                              r"conv1.weight.*looks like a CNN"):
        read_checkpoint(str(path))


def test_safetensors_url_is_downloaded_once(tmp_path, monkeypatch):
    _, _, path = _timm_file(tmp_path)
    hub = tmp_path / 'hub'
    calls = []

    def fake_download(url, dst, progress=True, **bounds):
        calls.append(url)
        with open(path, 'rb') as src, open(dst, 'wb') as out:
            out.write(src.read())

    monkeypatch.setattr('mmvitdet.utils.download.download', fake_download)  # bounded, resumable
    monkeypatch.setattr(torch.hub, 'get_dir', lambda: str(hub))
    url = 'https://huggingface.co/timm/vit_tiny/resolve/main/model.safetensors'
    for _ in range(2):
        assert read_checkpoint(url).format == 'timm'
    assert calls == [url]
    assert (hub / 'checkpoints' / 'model.safetensors').is_file()


def test_converter_reads_safetensors_and_folders(tmp_path):
    """convert_vit.py on a DINOv2-like HF folder: arch (heads from config.json), patch 14, layer scale, eps and
    act inferred; the written file gives the same model as the folder."""
    transformers = pytest.importorskip('transformers', reason='transformers is a test requirement')
    from layouts_timm_hf import hf_model, save_hf_folder
    folder = save_hf_folder(hf_model('dinov2'), tmp_path / 'dinov2')
    dst = tmp_path / 'dinov2_mmvitdet.pth'
    assert convert_vit.main([folder, str(dst), '--img-size', '224']) == 0
    saved = torch.load(dst, weights_only=True)
    cfg = saved['meta']['mmvitdet']['vit']
    assert cfg['arch'] == dict(embed_dims=C, num_layers=4, num_heads=4, mlp_ratio=4.0)
    assert (cfg['patch_size'], cfg['pretrain_img_size'], cfg['norm_eps']) == (14, 224, 1e-6)
    assert cfg['act_cfg'] == dict(type='GELU') and cfg['layer_scale_init_value'] is not None
    kwargs = dict(patch_size=14, window_size=0, layer_scale_init_value=1e-5)
    direct, converted = our_vit(**kwargs), our_vit(**kwargs)
    load_pretrained(direct, folder)
    assert load_pretrained(converted, str(dst)).format == 'mmvitdet'
    for a, b in zip(_features(direct), _features(converted)):
        torch.testing.assert_close(a, b)
    assert transformers.__version__ < '5'  # 5.x breaks `import mmpretrain` (requirements-test.txt)


def test_converter_with_a_clip_config(tmp_path, capsys):
    """convert_vit.py --config with CLIP's options on an OpenCLIP .safetensors file; a config that contradicts
    the weights is refused with the option to set (options a config leaves out are taken from the weights)."""
    pytest.importorskip('timm', reason='timm is a test requirement')
    from layouts_timm_hf import openai_clip_state, timm_reference
    src = tmp_path / 'open_clip_model.safetensors'
    state = openai_clip_state(timm_reference(eps=1e-5, act='quick_gelu', pre_norm=True))
    save_file({k: v.contiguous() for k, v in state.items()}, str(src))
    backbone = ("model = dict(backbone=dict(type='ViT', arch=dict(embed_dims=64, num_layers=4, num_heads=4), "
                "img_size=224, window_size=0, out_indices=(0, 1, 2, 3), norm_eps=1e-5, {options}))\n")
    good, bad = tmp_path / 'clip.py', tmp_path / 'plain.py'
    good.write_text(backbone.format(options="pre_norm=True, patch_bias=False, act_cfg=dict(type='QuickGELU')"))
    bad.write_text(backbone.format(options="pre_norm=False, act_cfg=dict(type='QuickGELU')"))
    dst = tmp_path / 'clip_mmvitdet.pth'
    assert convert_vit.main([str(src), str(dst), '--config', str(good)]) == 0
    saved = torch.load(dst, weights_only=True)
    assert {'norm_pre.weight', 'norm_pre.bias'} <= set(saved['state_dict'])
    assert 'patch_embed.proj.bias' not in saved['state_dict']
    assert saved['meta']['mmvitdet']['source_format'] == 'clip'
    assert convert_vit.main([str(src), str(tmp_path / 'x.pth'), '--config', str(bad)]) == 2  # input error: mmvitdet.utils.cli_errors.EXIT_USER_ERROR
    assert 'set pre_norm=True' in capsys.readouterr().err
    assert not (tmp_path / 'x.pth').exists()


def test_torchscript_without_jit_load_gives_the_conversion_command(tmp_path, monkeypatch):
    pytest.importorskip('timm', reason='timm is a test requirement')
    from layouts_timm_hf import openai_clip_state, save_torchscript, timm_reference
    path = str(tmp_path / 'ViT-B-16.pt')
    save_torchscript(openai_clip_state(timm_reference(pre_norm=True)), path)
    monkeypatch.delattr(torch.jit, 'load')
    with pytest.raises(CheckpointError, match=r'ViT-B-16.pt: is a TorchScript archive .* has no torch.jit.load.*'
                                              r"torch.save\(torch.jit.load\('.*ViT-B-16.pt', map_location='cpu'\)"
                                              r".state_dict\(\), '.*ViT-B-16_state_dict.pth'\)"):
        read_checkpoint(path)


def test_special_files_are_named_as_such(tmp_path):
    """A FIFO or a link to /dev/zero as a pre-trained file: refused at once, as not a regular file (not 'fetch it')."""
    from mmvitdet.checkpoints.file_formats import read_weights
    from mmvitdet.engine.checkpoint_loading import CheckpointLoadError
    os.mkfifo(tmp_path / 'mae_pretrain_vit_base.pth')
    (tmp_path / 'zero.pth').symlink_to('/dev/zero')
    for name, kind in (('mae_pretrain_vit_base.pth', 'a FIFO'), ('zero.pth', 'a character device')):
        with pytest.raises(CheckpointLoadError, match=f'is not a regular file but {kind}') as info:
            read_weights(str(tmp_path / name))
        assert 'does not exist' not in str(info.value) and 'fetch' not in str(info.value)
