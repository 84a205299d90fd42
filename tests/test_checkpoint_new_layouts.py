"""DINO, iBOT, DINOv2, CLIP (OpenAI / OpenCLIP), timm hub and Hugging Face layouts reproduce their reference.

Each file is written by hand (tests/layouts_timm_hf.py) from a tiny timm or transformers model; loaded through
``init_cfg``'s loader it must give that model's features at the pre-training grid with global attention, and run
with windows at another size. Bad files get errors naming the file, the key and the fix.
"""
import os
import sys

import pytest
import torch
from safetensors.torch import save_file

from checkpoint_layouts import DEPTH, C, our_vit
from layouts_timm_hf import (IMG, dino_backbone, dino_full_checkpoint, dinov2_hub_state, extra_tokens, hf_config,
                             hf_features, hf_model, openai_clip_state, save_hf_folder, save_torchscript,
                             timm_features, timm_reference, with_slots)
from mmvitdet.checkpoints import CheckpointError, load_pretrained

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), 'tools',
                                'model_converters'))
import convert_vit  # noqa: E402

CLIP_KW = dict(pre_norm=True, patch_bias=False, act_cfg=dict(type='QuickGELU'), norm_eps=1e-5)
SIGLIP_KW = dict(act_cfg=dict(type='GELU', approximate='tanh'))


def _x(seed=1):
    return torch.randn(2, 3, IMG, IMG, generator=torch.Generator().manual_seed(seed))


def _ours(patch=16, **kwargs):
    """Our ViT at the pre-training grid, every block global."""
    return our_vit(patch_size=patch, window_size=0, **kwargs)


def _assert_close(expected, ours, x):
    with torch.no_grad():
        got = ours(x)
    assert len(got) == len(expected) == DEPTH
    for e, g in zip(expected, got):
        assert g.shape == e.shape
        torch.testing.assert_close(g, e, atol=3e-5, rtol=1e-4)


def _windows_and_resize_run(path, patch=16, **kwargs):
    """Another pre-training grid (pos resized), 7x7 windows, a non-square input: loads and runs."""
    model = our_vit(patch_size=patch, img_size=(160, 192), pretrain_img_size=patch * 8, window_size=7,
                    use_rel_pos_bias='shared', **kwargs)
    report = load_pretrained(model, path)
    assert any(k == 'pos_embed' and b == (1, 64, C) for k, _, b, _ in report.resized)
    assert any('zero-init' in why for _, _, why in report.new)
    with torch.no_grad():
        out = model(torch.randn(1, 3, 160, 192))
    assert out[-1].shape == (1, C, -(-160 // patch), -(-192 // patch))


def _dropped(report):
    return {k for k, _, _ in report.dropped}


def _save_st(state, path):
    save_file({k: v.contiguous() for k, v in state.items()}, str(path))
    return str(path)


# ------------------------------------------------------------------------------------------------ DINO / iBOT
def test_dino_full_checkpoint_takes_the_teacher(tmp_path):
    ref = timm_reference()
    path = str(tmp_path / 'checkpoint.pth')
    torch.save(dino_full_checkpoint(ref), path)
    ours = _ours()
    report = load_pretrained(ours, path)
    assert report.format == 'dino'
    assert {'student', 'backbone.cls_token', 'head.mlp.0.weight', 'backbone.norm.weight'} <= _dropped(report)
    assert any(k == 'pos_embed' and 'class-token slot' in how for k, _, _, how in report.resized)
    _assert_close(timm_features(ref, _x()), ours, _x())


def test_dino_student_alone_and_plain_backbone(tmp_path):
    ref = timm_reference(seed=3)
    student = dino_full_checkpoint(ref)['student']
    student.update({'module.' + k: v for k, v in
                    {'backbone.' + k: v for k, v in dino_backbone(ref).items()}.items()})
    path = str(tmp_path / 'student.pth')
    torch.save(student, path)
    ours = _ours()
    assert load_pretrained(ours, path).format == 'dino'
    _assert_close(timm_features(ref, _x()), ours, _x())
    plain = str(tmp_path / 'dino_vitbase16_pretrain.pth')
    torch.save(dino_backbone(ref), plain)
    assert load_pretrained(_ours(), plain).format == 'timm'  # the released backbones are timm state dicts
    assert load_pretrained(_ours(), plain, format='dino').format == 'dino'


def test_ibot_state_dict_with_masked_embed(tmp_path):
    ref = timm_reference(seed=4)
    state = dict(dino_backbone(ref), masked_embed=torch.zeros(1, C))
    path = str(tmp_path / 'checkpoint_teacher.pth')
    torch.save({'state_dict': state}, path)
    ours = _ours()
    report = load_pretrained(ours, path)
    assert report.format == 'dino' and 'masked_embed' in _dropped(report)
    _assert_close(timm_features(ref, _x()), ours, _x())


# ------------------------------------------------------------------------------------------------ DINOv2
@pytest.mark.parametrize('registers', [0, 4], ids=['plain', 'reg4'])
def test_dinov2_hub_file(tmp_path, registers):
    ref = timm_reference(patch=14, layer_scale=True)
    path = str(tmp_path / 'dinov2_vitb14_pretrain.pth')
    torch.save(dinov2_hub_state(ref, registers), path)
    ours = _ours(patch=14, layer_scale_init_value=1e-5)
    report = load_pretrained(ours, path)
    assert report.format == 'dinov2'
    assert {'cls_token', 'mask_token', 'norm.weight'} <= _dropped(report)
    assert ('register_tokens' in _dropped(report)) == bool(registers)
    assert ('blocks.0.gamma_1', (C, )) in report.loaded
    _assert_close(timm_features(ref, _x()), ours, _x())
    _windows_and_resize_run(path, patch=14, layer_scale_init_value=1e-5)


def test_dinov2_layer_scale_and_patch_size_must_match(tmp_path):
    path = str(tmp_path / 'dinov2.pth')
    torch.save(dinov2_hub_state(timm_reference(patch=14, layer_scale=True)), path)
    with pytest.raises(CheckpointError, match=r'dinov2.pth.*blocks.0.ls1.gamma.*set layer_scale_init_value'):
        load_pretrained(_ours(patch=14), path)
    with pytest.raises(CheckpointError, match=r'dinov2.pth.*patch size is 14x14.*patch_size=16'):
        load_pretrained(_ours(patch=16, layer_scale_init_value=1e-5), path)


# ------------------------------------------------------------------------------------------------ CLIP
def _clip_reference(seed=0):
    return timm_reference(eps=1e-5, act='quick_gelu', pre_norm=True, seed=seed)


@pytest.mark.parametrize('container', ['pth', 'torchscript', 'safetensors'])
def test_openai_clip_layout(tmp_path, container):
    ref = _clip_reference()
    state = openai_clip_state(ref)
    path = str(tmp_path / {'pth': 'open_clip_pytorch_model.bin', 'torchscript': 'ViT-B-16.pt',
                           'safetensors': 'open_clip_model.safetensors'}[container])
    {'pth': torch.save, 'torchscript': save_torchscript, 'safetensors': _save_st}[container](state, path)
    ours = _ours(**CLIP_KW)
    report = load_pretrained(ours, path)
    assert report.format == 'clip'
    dropped = _dropped(report)
    assert {'visual.class_embedding', 'visual.ln_post.weight', 'visual.proj', 'logit_scale',
            'token_embedding.weight', 'text_projection', 'positional_embedding'} <= dropped
    assert ('norm_pre.weight', (C, )) in report.loaded
    resized = {k: (a, b) for k, a, b, _ in report.resized}
    assert resized['pos_embed'] == ((197, C), (1, 196, C))
    if container == 'torchscript':
        assert any('torch.jit.load' in n for n in report.notes)
    _assert_close(timm_features(ref, _x()), ours, _x())


def test_clip_options_must_match_the_weights(tmp_path):
    path = str(tmp_path / 'clip.pth')
    torch.save(openai_clip_state(_clip_reference()), path)
    with pytest.raises(CheckpointError, match=r'clip.pth: has no patch-embedding bias.*set patch_bias=False'):
        load_pretrained(_ours(pre_norm=True), path)
    with pytest.raises(CheckpointError, match=r'clip.pth: has a pre-norm \(visual.ln_pre.weight.*set pre_norm=True'):
        load_pretrained(_ours(patch_bias=False), path)


def test_open_clip_folder_config_gives_heads_and_activation(tmp_path):
    """OpenCLIP folder: open_clip_config.json's head_width and quick_gelu are checked against the config."""
    (tmp_path / 'open_clip_config.json').write_text(
        '{"model_cfg": {"quick_gelu": true, "vision_cfg": {"width": 64, "head_width": 16, "layers": 4}}}')
    torch.save(openai_clip_state(_clip_reference()), tmp_path / 'open_clip_pytorch_model.bin')
    report = load_pretrained(_ours(**CLIP_KW), str(tmp_path))
    assert any('num_attention_heads=4' in n and 'hidden_act=quick_gelu' in n for n in report.notes)
    two_heads = dict(CLIP_KW, arch=dict(embed_dims=C, num_layers=DEPTH, num_heads=2))
    with pytest.raises(CheckpointError, match=r'num_attention_heads=4 gives 4 attention heads but the model has '
                                              r'num_heads=2: set num_heads=4'):
        load_pretrained(_ours(**two_heads), str(tmp_path))


def test_clip_text_tower_only_is_refused(tmp_path):
    path = str(tmp_path / 'clip_text.pth')
    torch.save(openai_clip_state(_clip_reference(), image_tower=False), path)
    with pytest.raises(CheckpointError, match=r'clip_text.pth: holds only a CLIP text tower.*no image tower '
                                              r'\(visual.conv1.weight'):
        load_pretrained(_ours(**CLIP_KW), path)


# ------------------------------------------------------------------------------------------------ timm hub files
@pytest.mark.parametrize('variant', ['reg_slots', 'siglip_no_cls', 'clip_norm_pre'])
def test_timm_hub_safetensors(tmp_path, variant):
    if variant == 'clip_norm_pre':
        ref, kwargs = _clip_reference(seed=2), CLIP_KW
    elif variant == 'siglip_no_cls':
        ref, kwargs = timm_reference(act='gelu_tanh', seed=2), SIGLIP_KW
    else:
        ref, kwargs = timm_reference(seed=2), {}
    state = dict(ref.state_dict())
    if variant == 'reg_slots':  # timm reg models with embed_class: pos slots for cls + 4 registers
        state.update(cls_token=extra_tokens(1), reg_token=extra_tokens(4, seed=8),
                     pos_embed=with_slots(state['pos_embed'], 5))
    elif variant == 'siglip_no_cls':  # class_token=False, MAP head
        state.update({'attn_pool.latent': extra_tokens(1), 'attn_pool.q.weight': torch.randn(C, C)})
    else:
        state.update(cls_token=extra_tokens(1), pos_embed=with_slots(state['pos_embed'], 1))
    folder = tmp_path / 'vit_hub'
    folder.mkdir()
    _save_st(state, folder / 'model.safetensors')
    (folder / 'config.json').write_text('{"architecture": "vit_base_patch16_224", "num_classes": 0}')
    ours = _ours(**kwargs)
    report = load_pretrained(ours, str(folder))
    assert report.format == 'timm'
    assert any('safetensors' in n for n in report.notes)
    if variant == 'reg_slots':
        assert {'cls_token', 'reg_token'} <= _dropped(report)
        assert any('5 class-token slot' in how for _, _, _, how in report.resized)
    if variant == 'siglip_no_cls':
        assert ('pos_embed', (1, 196, C)) in report.loaded
    _assert_close(timm_features(ref, _x()), ours, _x())


# ------------------------------------------------------------------------------------------------ Hugging Face
HF_CASES = {
    'vit': dict(norm_eps=1e-12),
    'vit_mae': dict(norm_eps=1e-12),
    'vit_mae_pretraining': dict(norm_eps=1e-12),
    'dinov2': dict(patch=14, layer_scale_init_value=1e-5),
    'dinov2_reg': dict(patch=14, layer_scale_init_value=1e-5),
    'clip_vision': CLIP_KW,
    'clip': CLIP_KW,
    'siglip_vision': dict(SIGLIP_KW),
    'siglip': dict(SIGLIP_KW),
}
HF_FORMAT = {'vit': 'hf_vit', 'vit_mae': 'hf_vit', 'vit_mae_pretraining': 'hf_vit', 'dinov2': 'hf_vit',
             'dinov2_reg': 'hf_vit'}


@pytest.mark.parametrize('kind', sorted(HF_CASES))
def test_hugging_face_folder(tmp_path, kind):
    model = hf_model(kind)
    folder = save_hf_folder(model, tmp_path / kind)
    ours = _ours(**HF_CASES[kind])
    report = load_pretrained(ours, folder)
    assert report.format == HF_FORMAT.get(kind, 'hf_clip')
    assert any('folder config checked' in n and 'hidden_act' in n and 'layer_norm_eps' in n
               for n in report.notes), report.notes
    dropped = _dropped(report)
    if kind in ('clip', 'siglip'):
        assert any(k.startswith('text_model.') for k in dropped)
        assert 'logit_scale' in dropped
    if kind.startswith('siglip'):
        assert any('.head.' in k or k.startswith('head.') for k in dropped)
    if kind == 'dinov2_reg':
        assert 'embeddings.register_tokens' in dropped
    if kind == 'vit_mae_pretraining':
        assert {'vit.embeddings.cls_token', 'decoder.decoder_pred.weight'} <= dropped
    assert any(k.endswith('blocks.0.attn.qkv.weight') for k, _ in report.loaded)
    _assert_close(hf_features(kind, model, _x()), ours, _x())
    if kind in ('vit', 'clip', 'dinov2_reg', 'siglip'):
        _windows_and_resize_run(folder, **HF_CASES[kind])


def test_hugging_face_config_is_checked(tmp_path):
    folder = save_hf_folder(hf_model('vit'), tmp_path / 'vit')
    assert hf_config(folder)['layer_norm_eps'] == 1e-12
    with pytest.raises(CheckpointError, match=r'vit: the folder config has layer_norm_eps=1e-12.*set '
                                              r'norm_eps=1e-12'):
        load_pretrained(_ours(), folder)
    folder = save_hf_folder(hf_model('clip_vision'), tmp_path / 'clip')
    with pytest.raises(CheckpointError, match=r"hidden_act='quick_gelu'.*set act_cfg=\{'type': 'QuickGELU'\}"):
        load_pretrained(_ours(**dict(CLIP_KW, act_cfg=dict(type='GELU'))), folder)
    with pytest.raises(CheckpointError, match=r'num_attention_heads=4 gives 4 attention heads.*set num_heads=4'):
        load_pretrained(our_vit(arch=dict(embed_dims=C, num_layers=DEPTH, num_heads=2), window_size=0,
                                **CLIP_KW), folder)


def test_an_absurd_folder_config_is_an_error_not_advice(tmp_path):
    import json
    folder = save_hf_folder(hf_model('clip_vision'), tmp_path / 'clip')
    config = json.loads(open(os.path.join(folder, 'config.json')).read())
    config['num_attention_heads'] = 10**9
    with open(os.path.join(folder, 'config.json'), 'w') as f:
        json.dump(config, f)
    with pytest.raises(CheckpointError) as e:
        load_pretrained(_ours(**CLIP_KW), folder)
    assert 'num_attention_heads=1000000000 cannot be right' in str(e.value) and 'set num_heads' not in str(e.value)


def test_hugging_face_text_model_is_refused(tmp_path):
    folder = save_hf_folder(hf_model('clip_text'), tmp_path / 'clip_text')
    with pytest.raises(CheckpointError, match=r'clip_text: .*holds only a text tower.*vision_model'):
        load_pretrained(_ours(**CLIP_KW), folder)
    assert os.path.isfile(os.path.join(folder, 'model.safetensors'))


def test_openai_clip_width_gives_heads():
    """OpenAI / OpenCLIP B and L towers have 64-wide heads: a ViT-B/16 tower with 8 heads is refused."""
    from mmvitdet.checkpoints import openai_clip
    from mmvitdet.checkpoints.option_checks import check_config_file
    w = 768
    state = {'visual.conv1.weight': torch.zeros(w, 3, 16, 16), 'visual.class_embedding': torch.zeros(w),
             'visual.positional_embedding': torch.zeros(197, w), 'visual.ln_pre.weight': torch.ones(w)}
    ckpt = openai_clip.convert(state, 'ViT-B-16.pt')
    with torch.device('meta'):
        eight, twelve = (our_vit(arch=dict(embed_dims=w, num_layers=1, num_heads=h), window_size=0,
                                 out_indices=(0, ), **CLIP_KW) for h in (8, 12))
    with pytest.raises(CheckpointError, match=r'ViT-B-16.pt: a width-768 CLIP image tower .* gives 12 attention '
                                              r'heads but the model has num_heads=8: set num_heads=12'):
        check_config_file(ckpt, eight)
    assert check_config_file(ckpt, twelve) == [
        'heads: 12 (a width-768 CLIP image tower (OpenAI and OpenCLIP B/L use 64-wide heads)) match the config']


def test_init_cfg_takes_a_model_folder(tmp_path):
    """The config route: init_cfg=dict(type='Pretrained', checkpoint=<Hugging Face folder>)."""
    model = hf_model('siglip')
    folder = save_hf_folder(model, tmp_path / 'siglip-base-patch16-224')
    ours = our_vit(window_size=0, init_cfg=dict(type='Pretrained', checkpoint=folder, format='hf_clip'), **SIGLIP_KW)
    ours.init_weights()
    _assert_close(hf_features('siglip', model, _x()), ours.eval(), _x())


# ------------------------------------------------------------------------------------------------ converter
def _write_case(case, tmp_path):
    """(source path, ViT kwargs) of one layout."""
    if case == 'dino':
        path = str(tmp_path / 'checkpoint.pth')
        torch.save(dino_full_checkpoint(timm_reference()), path)
        return path, {}
    if case == 'dinov2_reg4':
        path = str(tmp_path / 'dinov2_vitb14_reg4_pretrain.pth')
        torch.save(dinov2_hub_state(timm_reference(patch=14, layer_scale=True), 4), path)
        return path, dict(patch_size=14, layer_scale_init_value=1e-5)
    if case == 'clip_torchscript':
        path = str(tmp_path / 'ViT-B-16.pt')
        save_torchscript(openai_clip_state(_clip_reference()), path)
        return path, CLIP_KW
    kind = case.split('_', 1)[1]
    return save_hf_folder(hf_model(kind), tmp_path / kind), dict(HF_CASES[kind])


@pytest.mark.parametrize('case', ['dino', 'dinov2_reg4', 'clip_torchscript', 'hf_siglip', 'hf_dinov2'])
def test_converter_output_loads_like_the_release(tmp_path, case):
    """convert_vit.py --config on each layout; the written file gives the same model as the release."""
    src, kwargs = _write_case(case, tmp_path)
    kwargs = dict(kwargs)
    kwargs['patch_size'] = kwargs.pop('patch', kwargs.get('patch_size', 16))
    cfg = dict(type='ViT', arch=dict(embed_dims=C, num_layers=DEPTH, num_heads=4), img_size=IMG,
               pretrain_img_size=IMG, window_size=14, global_attn_indices=(1, 3), out_indices=tuple(range(DEPTH)),
               use_rel_pos_bias='shared', **kwargs)
    config = tmp_path / 'backbone.py'
    config.write_text(f'model = dict(backbone={cfg!r})\n')
    dst = str(tmp_path / 'converted.pth')
    assert convert_vit.main([src, dst, '--config', str(config)]) == 0
    vit_kwargs = {k: v for k, v in cfg.items() if k != 'type'}
    direct, converted = our_vit(**vit_kwargs), our_vit(**vit_kwargs)
    load_pretrained(direct, src)
    assert load_pretrained(converted, dst).format == 'mmvitdet'
    with torch.no_grad():
        for a, b in zip(direct(_x()), converted(_x())):
            torch.testing.assert_close(a, b)
