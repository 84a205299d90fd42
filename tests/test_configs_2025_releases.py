"""Configs of the 2025-26 releases (DINOv3, EVA-02, PE-Core, AIMv2, SigLIP 2): each states its pre-training's
facts, sits at the protocol's grid centre, and trains one iteration of the real Mask R-CNN at reduced size.

test_configs.test_config_builds builds every one at full size (model on the meta device, datasets, optimizer).
"""
from pathlib import Path

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope

import mmvitdet  # noqa: F401
from mmdet.registry import MODELS
from mmvitdet.analysis.run_identity import identify_run
from mmvitdet.checkpoints import FORMATS
from mmvitdet.checkpoints.official_files import official_file_of
from mmvitdet.utils.protocol_configs import FINE_TUNING
from reduced_detector import build_reduced, train_step
from test_configs import cpu_optim, weight_decay_by_name

CONFIGS = Path(__file__).resolve().parents[1] / 'configs'
IMAGENET = ([123.675, 116.28, 103.53], [58.395, 57.12, 57.375])
CLIP_STATS = ([122.771, 116.746, 104.094], [68.501, 66.632, 70.323])
HALF = ([127.5] * 3, [127.5] * 3)
DINOV3 = dict(base=100, coords='centered', offset=0., axis_order='yx', rotation='half', window_coords='window')
EVA02 = dict(base=10000, coords='index', offset=0., axis_order='yx', rotation='interleaved', window_coords='window')
PE = dict(base=10000, coords='index', offset=1., axis_order='xy', rotation='interleaved', window_coords='window')
LN, RMS = 'layer_norm', 'rms_norm'
Q4 = {12: (2, 5, 8, 11), 24: (5, 11, 17, 23), 32: (7, 15, 23, 31)}  # the quarter rule
# config -> file, format, (mean, std), norm, eps, ffn, ffn width, sub-norm, ffn bias, qkv bias, proj bias,
# layer scale, pre-norm, patch bias, patch norm, rope, abs pos, pre-training grid, window, patch resize,
# (width, depth, heads)
EXPECTED = {
    'dinov3/mask-rcnn_vit-b-dinov3_fpn_lsj-100e_coco.py': (
        'dinov3_vitb16_pretrain_lvd1689m-73cec8be.pth', 'dinov3', IMAGENET, LN, 1e-5, 'mlp', 3072, False, True,
        'qv', True, 1e-5, False, True, False, DINOV3, False, 16, 16, None, (768, 12, 12)),
    'dinov3/mask-rcnn_vit-l-dinov3_fpn_lsj-100e_coco.py': (
        'dinov3_vitl16_pretrain_lvd1689m-8aa4cbdd.pth', 'dinov3', IMAGENET, LN, 1e-5, 'mlp', 4096, False, True,
        'qv', True, 1e-5, False, True, False, DINOV3, False, 16, 16, None, (1024, 24, 16)),
    'dinov3/mask-rcnn_vit-h-plus-dinov3_fpn_lsj-100e_coco.py': (
        'dinov3_vith16plus_pretrain_lvd1689m-7c1da9a5.pth', 'dinov3', IMAGENET, LN, 1e-5, 'swiglu', 5120, False,
        True, 'qv', True, 1e-5, False, True, False, DINOV3, False, 16, 16, None, (1280, 32, 20)),
    'eva02/mask-rcnn_vit-b-eva02_fpn_lsj-100e_coco.py': (
        'eva02_B_pt_in21k_p14.pt', 'eva02', CLIP_STATS, LN, 1e-6, 'swiglu', 2048, True, True, 'qv', True, None,
        False, True, False, EVA02, True, 16, 16, 'pinv', (768, 12, 12)),
    'eva02/mask-rcnn_vit-l-eva02_fpn_lsj-100e_coco.py': (
        'eva02_L_pt_in21k_p14.pt', 'eva02', CLIP_STATS, LN, 1e-6, 'swiglu', 2730, True, True, 'qv', True, None,
        False, True, False, EVA02, True, 16, 16, 'pinv', (1024, 24, 16)),
    'pe/mask-rcnn_vit-b-pe-core_fpn_lsj-100e_coco.py': (
        'PE-Core-B16-224.pt', 'pe_core', HALF, LN, 1e-5, 'mlp', 3072, False, True, True, True, None, True, False,
        False, PE, True, 14, 14, None, (768, 12, 12)),
    'pe/mask-rcnn_vit-l-pe-core_fpn_lsj-100e_coco.py': (
        'PE-Core-L14-336.pt', 'pe_core', HALF, LN, 1e-5, 'mlp', 4096, False, True, True, True, None, True, False,
        False, PE, True, 24, 24, 'pinv', (1024, 24, 16)),
    'aimv2/mask-rcnn_vit-l-aimv2_fpn_lsj-100e_coco.py': (
        'aimv2-large-patch14-224', 'aimv2', CLIP_STATS, RMS, 1e-5, 'swiglu', 2816, False, False, False, False,
        None, False, True, True, None, True, 16, 16, 'pinv', (1024, 24, 8)),
    'aimv2/mask-rcnn_vit-h-aimv2_fpn_lsj-100e_coco.py': (
        'aimv2-huge-patch14-224', 'aimv2', CLIP_STATS, RMS, 1e-5, 'swiglu', 4096, False, False, False, False,
        None, False, True, True, None, True, 16, 16, 'pinv', (1536, 24, 12)),
    'siglip2/mask-rcnn_vit-b-siglip2_fpn_lsj-100e_coco.py': (
        'siglip2-base-patch16-224', 'hf_clip', HALF, LN, 1e-6, 'mlp', 3072, False, True, True, True, None, False,
        True, False, None, True, 14, 14, None, (768, 12, 12)),
    'siglip2/mask-rcnn_vit-l-siglip2_fpn_lsj-100e_coco.py': (
        'siglip2-large-patch16-256', 'hf_clip', HALF, LN, 1e-6, 'mlp', 4096, False, True, True, True, None, False,
        True, False, None, True, 16, 16, None, (1024, 24, 16)),
}
INITS = {'dinov3': 'dinov3', 'eva02': 'eva02', 'pe': 'pe', 'aimv2': 'aimv2', 'siglip2': 'siglip2'}


def load(rel, monkeypatch):
    monkeypatch.setenv('MMVITDET_CHECKPOINTS', '/ckpt')
    return Config.fromfile(str(CONFIGS / rel))


def built_vit(bb, **overrides):
    kwargs = dict(bb, **overrides)
    kwargs.pop('type')
    with DefaultScope.overwrite_default_scope('mmdet'), torch.device('meta'):
        return MODELS.build(dict(type='ViT', **kwargs))


def test_every_release_config_is_listed():
    found = {str(p.relative_to(CONFIGS)) for init in INITS for p in (CONFIGS / init).glob('*.py')
             if FINE_TUNING.match(p.name)}  # the frozen / cascade siblings: tests/test_protocols.py
    assert found == set(EXPECTED)


@pytest.mark.parametrize('rel', sorted(EXPECTED))
def test_config_states_its_pretraining(rel, monkeypatch):
    cfg = load(rel, monkeypatch)
    (name, fmt, (mean, std), norm, eps, ffn, width, sub_norm, ffn_bias, qkv_bias, proj_bias, ls, pre_norm,
     patch_bias, patch_norm, rope, abs_pos, grid, window, resize, (dims, depth, heads)) = EXPECTED[rel]
    bb, pre = cfg.model.backbone, cfg.model.data_preprocessor
    assert (pre.mean, pre.std, pre.bgr_to_rgb) == (mean, std, True)
    stated = ('norm_type', 'norm_eps', 'ffn_type', 'ffn_sub_norm', 'ffn_bias', 'qkv_bias', 'proj_bias',
              'layer_scale_init_value', 'pre_norm', 'patch_bias', 'patch_norm', 'rope', 'use_abs_pos_embed',
              'act_cfg')
    assert not [k for k in stated if k not in bb], 'every block option is written in the config'
    assert (bb.norm_type, bb.norm_eps, bb.ffn_type, bb.ffn_sub_norm, bb.ffn_bias) == (norm, eps, ffn, sub_norm,
                                                                                      ffn_bias)
    assert (bb.qkv_bias, bb.proj_bias, bb.layer_scale_init_value, bb.pre_norm) == (qkv_bias, proj_bias, ls, pre_norm)
    assert (bb.patch_bias, bb.patch_norm, bb.rope, bb.use_abs_pos_embed) == (patch_bias, patch_norm, rope, abs_pos)
    vit = built_vit(bb, init_cfg=None)
    assert (vit.embed_dims, vit.num_layers, vit.num_heads, vit.feedforward_channels) == (dims, depth, heads, width)
    # the paper's detector: patch 16 at 1024, 4 global blocks by the quarter rule, taps there, shared rel zero-init
    assert (bb.patch_size, bb.img_size, bb.window_size) == (16, (1024, 1024), window)
    assert vit.pretrain_grid_size == (grid, grid) and vit.global_attn_indices == Q4[depth] == vit.out_indices
    assert (bb.use_rel_pos_bias, bb.rel_pos_zero_init) == ('shared', True)
    assert bb.get('with_cp', False) is (depth > 12)
    init_cfg = bb.init_cfg
    assert init_cfg.type == 'Pretrained' and init_cfg.checkpoint == f'/ckpt/{name}'
    assert init_cfg.format == fmt and fmt in FORMATS and init_cfg.get('patch_embed_resize') == resize
    opt = cfg.optim_wrapper.optimizer
    assert (opt.lr, opt.weight_decay, cfg.train_cfg.max_epochs) == (1.6e-4, 0.1, 100)
    assert bb.drop_path_rate == {12: 0.1, 24: 0.3, 32: 0.4}[depth] if dims != 1536 else bb.drop_path_rate == 0.4
    text = (CONFIGS / rel).read_text()
    assert name in text and 'https://' in text and 'grid centre' in text
    neck = cfg.model.neck
    assert neck[0].in_channels == dims and neck[1].in_channels == [dims] * 4


@pytest.mark.parametrize('rel', sorted(EXPECTED))
def test_download_list_and_result_tables_know_the_config(rel, monkeypatch):
    cfg = load(rel, monkeypatch)
    official = official_file_of(str(CONFIGS / rel))
    assert official is not None and official.name == EXPECTED[rel][0] and official.format == EXPECTED[rel][1]
    ident = identify_run(cfg.to_dict(), str(CONFIGS / rel))
    assert (ident.init, ident.variant) == (INITS[rel.split('/')[0]], '')


def test_rope_ablation_is_a_variant(monkeypatch):
    rel = 'ablations/position/mask-rcnn_vit-b-dinov3-rope-image-coords_fpn_lsj-100e_coco.py'
    cfg = load(rel, monkeypatch)
    assert cfg.model.backbone.rope == dict(DINOV3, window_coords='image')
    ident = identify_run(cfg.to_dict(), str(CONFIGS / rel))
    assert (ident.init, ident.variant) == ('dinov3', 'rope-image-coords')


@pytest.mark.parametrize('rel', sorted(EXPECTED))
def test_one_training_iteration_at_reduced_size(rel, monkeypatch, tmp_path):
    """The config's real Mask R-CNN with its block options at width 64, depth 4, 64 px: one step on CPU."""
    cfg = load(rel, monkeypatch)
    bb = cfg.model.backbone
    swiglu = bb.ffn_type == 'swiglu'
    model = build_reduced(cfg)
    first = model.backbone.blocks[0]
    before = first.attn.qkv.weight.detach().clone()
    losses = train_step(model, cfg)
    assert {'loss_rpn_cls', 'loss_cls', 'loss_bbox', 'loss_mask'} <= set(losses)
    assert all(torch.isfinite(v).all() for v in losses.values())
    assert not torch.equal(before, first.attn.qkv.weight)
    assert (model.backbone.rope is None) == (bb.rope is None)
    assert type(first.mlp).__name__ == ('SwiGLU' if swiglu else 'Mlp')


@pytest.mark.parametrize('rel', ['aimv2/mask-rcnn_vit-l-aimv2_fpn_lsj-100e_coco.py',
                                 'dinov3/mask-rcnn_vit-b-dinov3_fpn_lsj-100e_coco.py'])
def test_no_weight_decay_on_norms_biases_and_positions(rel, monkeypatch):
    """Paper: no decay on norms (AIMv2's RMSNorms too, which mmengine's norm_decay_mult does not know), biases
    (q/v too) and position tables; decay on weights."""
    cfg = load(rel, monkeypatch)
    cfg.model.backbone.update(arch=dict(embed_dims=64, num_layers=4, num_heads=2, feedforward_channels=96),
                              init_cfg=None, global_attn_indices=(1, 3), out_indices=(0, 1, 2, 3))
    cfg.model.neck[0].in_channels = 64
    cfg.model.neck[1].in_channels = [64] * 4
    with DefaultScope.overwrite_default_scope('mmdet'):
        model = MODELS.build(cfg.model)
    decay = weight_decay_by_name(model, cfg)
    zero = ['backbone.blocks.0.norm1.weight', 'backbone.blocks.3.norm2.weight',
            'backbone.rel_pos_bias_window.relative_position_bias_table']
    zero += ['backbone.patch_norm.weight', 'backbone.pos_embed'] if 'aimv2' in rel else \
        ['backbone.blocks.0.attn.q_bias', 'backbone.blocks.0.attn.v_bias', 'backbone.blocks.0.mlp.fc1.bias']
    for name in zero:
        assert decay[name] == 0, name
    for name in ('backbone.blocks.0.attn.qkv.weight', 'backbone.patch_embed.proj.weight'):
        assert decay[name] == 0.1, name
