"""DINOv3, EVA-02, PE-Core and AIMv2 (and SigLIP 2's configs) load from their release layouts and reproduce timm.

Each backbone is built from its family's config (``model.backbone``), overriding only arch, img_size,
pretrain_img_size, patch_size, window_size=0 (every block global), out_indices, drop_path_rate and init_cfg:
so the config states RoPE, FFN, norm, eps, activation, layer scale, biases and pre-norm. Each layout is written
by hand (tests/layouts_rope_releases.py) from a tiny timm model; loaded through ``init_cfg`` it must give that
model's block outputs at the pre-training grid and at 448 px. Bad files get errors naming file, key and fix.
"""
import os
import sys
from pathlib import Path

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope

from checkpoint_layouts import DEPTH, HEADS, C
from layouts_rope_releases import (AIMV2_HEADS, aimv2_hf_config, aimv2_reference, aimv2_state, dinov3_hf_config,
                                   dinov3_hub_state, dinov3_reference, eva02_reference, eva02_state,
                                   hf_aimv2_state, hf_dinov3_state, pe_core_reference, pe_core_state,
                                   reference_features, save_folder)
from mmdet.registry import MODELS
from mmvitdet.checkpoints import CheckpointError, load_pretrained

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / 'tools' / 'model_converters'))
import convert_vit  # noqa: E402

CONFIG = {
    'dinov3': 'dinov3/mask-rcnn_vit-b-dinov3_fpn_lsj-100e_coco.py',
    'dinov3_h_plus': 'dinov3/mask-rcnn_vit-h-plus-dinov3_fpn_lsj-100e_coco.py',
    'eva02': 'eva02/mask-rcnn_vit-b-eva02_fpn_lsj-100e_coco.py',
    'pe_core': 'pe/mask-rcnn_vit-b-pe-core_fpn_lsj-100e_coco.py',
    'aimv2': 'aimv2/mask-rcnn_vit-l-aimv2_fpn_lsj-100e_coco.py',
}


def arch(ffn=4 * C, heads=HEADS):
    return dict(embed_dims=C, num_layers=DEPTH, num_heads=heads, feedforward_channels=ffn)


def config_backbone(family, monkeypatch):
    monkeypatch.setenv('MMVITDET_CHECKPOINTS', '/ckpt')
    cfg = Config.fromfile(str(REPO / 'configs' / CONFIG[family]))
    backbone = dict(cfg.model.backbone)
    backbone.pop('type')
    return backbone


def backbone_kwargs(family, monkeypatch, checkpoint=None, img=224, patch=16, pretrain=224, wrong=None, **arch_kw):
    """The family config's ViT kwargs with only the overrides the module doc names (``wrong``: options a bad-file
    test sets against the file)."""
    kwargs = config_backbone(family, monkeypatch)
    kwargs.update(arch=arch(**arch_kw), img_size=img, pretrain_img_size=pretrain, patch_size=patch, window_size=0,
                  out_indices=tuple(range(DEPTH)), drop_path_rate=0.,
                  init_cfg=dict(type='Pretrained', checkpoint=checkpoint) if checkpoint else None, **(wrong or {}))
    return kwargs


def build(family, monkeypatch, checkpoint=None, **kwargs):
    """The ViT of :func:`backbone_kwargs`, initialized (from ``checkpoint`` when given)."""
    kwargs = backbone_kwargs(family, monkeypatch, checkpoint, **kwargs)
    with DefaultScope.overwrite_default_scope('mmdet'):
        model = MODELS.build(dict(type='ViT', **kwargs))
    model.init_weights()
    return model.eval()


def _x(size=224, seed=1):
    return torch.randn(2, 3, size, size, generator=torch.Generator().manual_seed(seed))


def assert_features(expected, model, x, atol=5e-5):
    with torch.no_grad():
        got = model(x)
    assert len(got) == len(expected) == DEPTH
    for e, g in zip(expected, got):
        assert g.shape == e.shape
        torch.testing.assert_close(g, e, atol=atol, rtol=1e-4)


def save_pth(obj, path):
    torch.save(obj, str(path))
    return str(path)


def at_size(ref_builder, ref, ours_at_size, size):
    """The reference built for ``size`` px with the same weights; its abs table (if any) set to the one our ViT
    resizes to (timm's antialiased bicubic differs from mmpretrain's): RoPE and blocks stay timm's own."""
    big = ref_builder(img=size)
    state = dict(ref.state_dict())
    if getattr(ref, 'pos_embed', None) is not None:
        grid = size // ref.patch_embed.patch_size[0]
        state['pos_embed'] = ours_at_size.abs_pos_embed((grid, grid)).reshape(1, grid * grid, C).detach()
    big.load_state_dict(state)
    return big.eval()


# (family, reference builder kwargs, layout writer, patch, arch kwargs, folder config) per layout
CASES = {
    'dinov3_hub': ('dinov3', dict(), lambda r, p: save_pth(dinov3_hub_state(r), p / 'd.pth'), 16, {}),
    'dinov3_hplus_hub': ('dinov3_h_plus', dict(swiglu=True), lambda r, p: save_pth(dinov3_hub_state(r), p / 'd.pth'),
                         16, dict(ffn=4 * C)),
    'hf_dinov3': ('dinov3', dict(), lambda r, p: save_folder(hf_dinov3_state(r), dinov3_hf_config(), p / 'hf'), 16,
                  {}),
    'eva02': ('eva02', dict(), lambda r, p: save_pth(eva02_state(r), p / 'e.pt'), 14, dict(ffn=170)),
    'pe_core': ('pe_core', dict(), lambda r, p: save_pth(pe_core_state(r), p / 'pe.pt'), 16, {}),
    'aimv2': ('aimv2', dict(), lambda r, p: save_folder(aimv2_state(r), {}, p / 'aim'), 14,
              dict(ffn=176, heads=AIMV2_HEADS)),
    'hf_aimv2': ('aimv2', dict(), lambda r, p: save_folder(hf_aimv2_state(r), aimv2_hf_config(), p / 'hfaim'), 14,
                 dict(ffn=176, heads=AIMV2_HEADS)),
}
BUILDERS = {'dinov3': dinov3_reference, 'dinov3_h_plus': dinov3_reference, 'eva02': eva02_reference,
            'pe_core': pe_core_reference, 'aimv2': aimv2_reference}
FORMATS = {'dinov3_hub': 'dinov3', 'dinov3_hplus_hub': 'dinov3', 'hf_dinov3': 'hf_dinov3', 'eva02': 'eva02',
           'pe_core': 'pe_core', 'aimv2': 'aimv2', 'hf_aimv2': 'hf_aimv2'}


def _case(case, tmp_path):
    family, ref_kw, write, patch, arch_kw = CASES[case]
    builder = lambda img=224: BUILDERS[family](**ref_kw, img=img)  # noqa: E731
    ref = builder()
    return family, builder, ref, write(ref, tmp_path), patch, arch_kw


@pytest.mark.parametrize('case', sorted(CASES))
def test_release_layout_reproduces_timm(case, tmp_path, monkeypatch):
    family, builder, ref, path, patch, arch_kw = _case(case, tmp_path)
    ours = build(family, monkeypatch, path, patch=patch, **arch_kw)
    assert_features(reference_features(ref, _x()), ours, _x())
    big = build(family, monkeypatch, path, img=448, patch=patch, **arch_kw)
    assert_features(reference_features(at_size(builder, ref, big, 448), _x(448)), big, _x(448), atol=2e-4)


@pytest.mark.parametrize('case', sorted(CASES))
def test_load_report_names_what_was_dropped_and_computed(case, tmp_path, monkeypatch):
    family, _, ref, path, patch, arch_kw = _case(case, tmp_path)
    model = build(family, monkeypatch, None, patch=patch, **arch_kw)
    report = load_pretrained(model, path)
    assert report.format == FORMATS[case]
    dropped = {k for k, _, _ in report.dropped}
    text = report.to_text()
    if family.startswith('dinov3'):
        tokens = {'embeddings.cls_token', 'embeddings.register_tokens'} if case == 'hf_dinov3' else \
            {'cls_token', 'storage_tokens', 'mask_token'}
        assert tokens <= dropped
        assert 'RoPE' in text
    if family == 'eva02':
        assert {'cls_token', 'mask_token', 'rope.freqs_cos', 'blocks.0.attn.rope.freqs_cos', 'lm_head.weight'} <= dropped
        assert any(k == 'pos_embed' and 'class-token slot' in how for k, _, _, how in report.resized)
    if family == 'pe_core':
        assert {'visual.attn_pool.probe', 'visual.class_embedding', 'token_embedding.weight'} <= dropped
    if family in ('eva02', 'pe_core') or case == 'hf_dinov3':
        assert any(k == 'rope.periods' and 'computed from base' in why for k, _, why in report.new)
    if case == 'dinov3_hub':
        torch.testing.assert_close(model.rope.periods, ref.rope.periods)
    assert any('zero-init' in why for _, _, why in report.new)  # the paper's relative tables


def test_dinov3_stored_periods_are_used(tmp_path, monkeypatch):
    """The release stores bf16-rounded periods and uses them: so does the ViT (not a recomputed float32 set)."""
    ref = dinov3_reference()
    rounded = ref.rope.periods.to(torch.bfloat16).float()
    assert not torch.equal(rounded, ref.rope.periods)
    path = save_pth(dinov3_hub_state(ref, periods=rounded), tmp_path / 'd.pth')
    model = build('dinov3', monkeypatch, path)
    assert torch.equal(model.rope.periods, rounded)
    with torch.no_grad():
        ref.rope.periods.copy_(rounded)
        ref.rope.pos_embed_cached = None
    assert_features(reference_features(ref, _x()), model, _x())
    # saved with the detector: a reloaded state keeps the file's values
    assert torch.equal(model.state_dict()['rope.periods'], rounded)


def test_qkv_bias_mask_drops_the_key_third(tmp_path, monkeypatch):
    ref = dinov3_reference()
    state = dinov3_hub_state(ref)
    path = save_pth(state, tmp_path / 'd.pth')
    model = build('dinov3', monkeypatch, path)
    torch.testing.assert_close(model.blocks[0].attn.q_bias, state['blocks.0.attn.qkv.bias'][:C])
    torch.testing.assert_close(model.blocks[0].attn.v_bias, state['blocks.0.attn.qkv.bias'][2 * C:])
    assert state['blocks.0.attn.qkv.bias'][C:2 * C].abs().sum() > 0  # the junk the mask hides


BLOCK_OPTIONS = ('norm_type', 'norm_eps', 'ffn_type', 'ffn_bias', 'ffn_sub_norm', 'qkv_bias', 'proj_bias',
                 'patch_bias', 'patch_norm', 'pre_norm', 'use_abs_pos_embed')


@pytest.mark.parametrize('case', sorted(CASES))
def test_converter_writes_a_file_that_loads_like_the_release(case, tmp_path, monkeypatch):
    """convert_vit.py --config with the family's backbone; without --config the block options are inferred."""
    from mmvitdet.checkpoints.export import vit_cfg_for
    from mmvitdet.checkpoints.load import read_checkpoint
    family, _, ref, path, patch, arch_kw = _case(case, tmp_path)
    backbone = dict(backbone_kwargs(family, monkeypatch, patch=patch, **arch_kw), type='ViT')
    config = tmp_path / 'backbone.py'
    config.write_text(f'model = dict(backbone={backbone!r})\n')
    dst = str(tmp_path / 'converted.pth')
    assert convert_vit.main([path, dst, '--config', str(config)]) == 0
    direct, converted = build(family, monkeypatch, path, patch=patch, **arch_kw), \
        build(family, monkeypatch, None, patch=patch, **arch_kw)
    assert load_pretrained(converted, dst).format == 'mmvitdet'
    with torch.no_grad():
        for a, b in zip(direct(_x()), converted(_x())):
            torch.testing.assert_close(a, b)
    inferred = vit_cfg_for(read_checkpoint(path), arch=arch(**arch_kw))
    assert {k: inferred[k] for k in BLOCK_OPTIONS} == {k: backbone[k] for k in BLOCK_OPTIONS}
    release_rope = {k: v for k, v in (backbone['rope'] or {}).items() if k != 'window_coords'}
    assert (inferred['rope'] or {}) == release_rope


# -------------------------------------------------------------------------------------------- bad files
def _error(model, path):
    with pytest.raises(CheckpointError) as err:
        load_pretrained(model, path)
    return str(err.value)


def test_dinov3_file_into_an_eva02_config(tmp_path, monkeypatch):
    path = save_pth(dinov3_hub_state(dinov3_reference()), tmp_path / 'dinov3.pth')
    msg = _error(build('eva02', monkeypatch, patch=16, ffn=170), path)
    assert path in msg and 'DINOv3' in msg and 'blocks.0.mlp.fc1.weight' in msg and "ffn_type='mlp'" in msg


def test_rope_file_into_a_config_without_rope(tmp_path, monkeypatch):
    path = save_pth(eva02_state(eva02_reference()), tmp_path / 'eva02.pt')
    msg = _error(build('eva02', monkeypatch, patch=14, ffn=170, wrong=dict(rope=None)), path)
    assert path in msg and 'rope=None' in msg and "rope=dict(base=10000" in msg and "rotation='interleaved'" in msg


def test_file_without_rope_into_a_rope_config(tmp_path, monkeypatch):
    path = save_folder(aimv2_state(aimv2_reference()), {}, tmp_path / 'aim')
    msg = _error(build('aimv2', monkeypatch, patch=14, ffn=176, heads=AIMV2_HEADS, wrong=dict(rope=dict(base=100))),
                 path)
    assert path in msg and 'without RoPE' in msg and 'set rope=None' in msg


def test_swiglu_file_into_an_mlp_config(tmp_path, monkeypatch):
    path = save_pth(dinov3_hub_state(dinov3_reference(swiglu=True)), tmp_path / 'hplus.pth')
    msg = _error(build('dinov3', monkeypatch), path)
    assert path in msg and 'blocks.0.mlp.w1.weight' in msg and "ffn_type='swiglu'" in msg
    assert 'feedforward_channels=256' in msg


def test_aimv2_file_with_a_layernorm_config(tmp_path, monkeypatch):
    path = save_folder(aimv2_state(aimv2_reference()), {}, tmp_path / 'aim')
    msg = _error(build('aimv2', monkeypatch, patch=14, ffn=176, heads=AIMV2_HEADS,
                       wrong=dict(norm_type='layer_norm')), path)
    assert path in msg and 'trunk.blocks.0.norm_1.weight' in msg and "norm_type='rms_norm'" in msg


def test_pe_text_tower_only_file(tmp_path, monkeypatch):
    path = save_pth(pe_core_state(pe_core_reference(), image_tower=False), tmp_path / 'pe_text.pt')
    msg = _error(build('pe_core', monkeypatch), path)
    assert path in msg and 'text tower' in msg and 'visual.conv1.weight' in msg and 'PE-Core' in msg


def test_dinov3_periods_that_do_not_fit_the_config(tmp_path, monkeypatch):
    ref = dinov3_reference()
    path = save_pth(dinov3_hub_state(ref, periods=ref.rope.periods * 3), tmp_path / 'd.pth')
    msg = _error(build('dinov3', monkeypatch), path)
    assert path in msg and 'rope_embed.periods' in msg and 'rope base' in msg


# ------------------------------------------------------------------- transformers' own models as references
HF_REFERENCE = Path(sys.prefix) / 'hf-reference'


def hf_reference_features(kind, folder, inputs, tmp_path):
    """Per input, block outputs [B, C, h, w] of transformers 4.57's model of ``kind`` (one subprocess)."""
    import subprocess
    if not (HF_REFERENCE / 'transformers').is_dir():
        pytest.skip(f'{HF_REFERENCE} is missing: bash tools/setup.sh installs the transformers 4.57 reference '
                    '(requirements-hf-reference.txt)')
    src, dst = tmp_path / 'x.pt', tmp_path / 'hf_out.pt'
    torch.save(list(inputs), src)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(HF_REFERENCE), os.environ.get('PYTHONPATH', '')]))
    run = subprocess.run([sys.executable, str(REPO / 'tests' / 'hf_reference_2025.py'), kind, str(folder),
                          str(src), str(dst)], env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    assert run.stdout.strip().endswith('4.57.3')
    patch = 16 if kind == 'dinov3' else 14
    return [[t.transpose(1, 2).reshape(x.shape[0], -1, x.shape[-2] // patch, x.shape[-1] // patch) for t in outs]
            for x, outs in zip(inputs, torch.load(dst))]


@pytest.mark.parametrize('gated', [False, True], ids=['mlp', 'swiglu'])
def test_hf_dinov3_folder_reproduces_transformers(gated, tmp_path, monkeypatch):
    ref = dinov3_reference(swiglu=gated)
    folder = save_folder(hf_dinov3_state(ref), dinov3_hf_config(gated), tmp_path / 'dinov3')
    family = 'dinov3_h_plus' if gated else 'dinov3'
    expected = hf_reference_features('dinov3', folder, [_x(224), _x(448)], tmp_path)
    for size, features in zip((224, 448), expected):
        assert_features(features, build(family, monkeypatch, folder, img=size), _x(size), atol=2e-4)


def test_hf_aimv2_folder_reproduces_transformers(tmp_path, monkeypatch):
    folder = save_folder(hf_aimv2_state(aimv2_reference()), aimv2_hf_config(), tmp_path / 'aimv2')
    ours = build('aimv2', monkeypatch, folder, patch=14, ffn=176, heads=AIMV2_HEADS)
    assert_features(hf_reference_features('aimv2', folder, [_x()], tmp_path)[0], ours, _x())
