"""Every supported checkpoint layout, converted and loaded, reproduces its source model.

Official layouts are written by hand from a small mmpretrain model
(tests/checkpoint_layouts.py); mmpretrain layouts are saved from mmpretrain's
own (self-)supervised models. At 224 px one 14x14 window covers the grid, so
window and global blocks attend alike and features must match the source.
"""
import pytest
import torch
from mmpretrain.registry import MODELS as MMPRETRAIN_MODELS

from checkpoint_layouts import (C, TINY_MMPRETRAIN, assert_same_features,
                                mask_cls_key, our_vit, randomize,
                                reference_beit, reference_vit, timm_state,
                                unilm_beit_state)
from mmvitdet.checkpoints import detect_format, load_pretrained, read_checkpoint
from mmvitdet.checkpoints.detect import unwrap_state_dict

BEIT_KW = dict(qkv_bias='qv', layer_scale_init_value=0.1,
               use_abs_pos_embed=False, use_rel_pos_bias='shared')


def _save(obj, tmp_path, name='ckpt.pth'):
    path = str(tmp_path / name)
    torch.save(obj, path)
    return path


def _load(path, **vit_kwargs):
    ours = our_vit(**vit_kwargs)
    report = load_pretrained(ours, path)
    return ours, report


# --------------------------------------------------------- official layouts
@pytest.mark.parametrize('dist', [False, True], ids=['deit', 'deit_distilled'])
def test_timm_deit(tmp_path, dist):
    ref = reference_vit()
    path = _save({'model': timm_state(ref.state_dict(), dist=dist)}, tmp_path)
    ours, report = _load(path, use_rel_pos_bias='shared')
    assert report.format == 'timm'
    assert_same_features(ref, ours)
    dropped = {k for k, _, _ in report.dropped}
    assert {'cls_token', 'head.weight', 'norm.weight'} <= dropped
    assert ('dist_token' in dropped) == dist
    resized = {k: (a, b) for k, a, b, _ in report.resized}
    assert resized['pos_embed'] == ((1, 196 + 1 + dist, C), (1, 196, C))


@pytest.mark.parametrize('timm_names', [False, True])
def test_deit3_layer_scale_no_cls_slot(tmp_path, timm_names):
    """DeiT III: pos_embed [1, 196, C] without cls slot, gamma_1/gamma_2
    (timm's port names them ls1.gamma / ls2.gamma)."""
    ref = reference_vit(layer_scale=True)
    state = timm_state(ref.state_dict(), cls_slot=False)
    if timm_names:
        state = {k.replace('gamma_1', 'ls1.gamma').replace(
            'gamma_2', 'ls2.gamma'): v for k, v in state.items()}
    path = _save({'model': state}, tmp_path)
    ours, report = _load(path, layer_scale_init_value=1e-5)
    assert ('pos_embed', (1, 196, C)) in report.loaded
    assert_same_features(ref, ours)


def test_mae_release(tmp_path):
    """MAE visualisation release: encoder (timm keys) + decoder + mask_token."""
    ref = reference_vit()
    state = timm_state(ref.state_dict())
    state.update({
        'mask_token': torch.zeros(1, 1, 32),
        'decoder_embed.weight': torch.randn(32, C),
        'decoder_pos_embed': torch.randn(1, 197, 32),
        'decoder_blocks.0.attn.qkv.weight': torch.randn(96, 32),
        'decoder_norm.weight': torch.ones(32),
        'decoder_pred.weight': torch.randn(768, 32),
    })
    path = _save({'model': state}, tmp_path)
    ours, report = _load(path)
    assert report.format == 'mae'
    assert {'mask_token', 'decoder_pred.weight'} <= {
        k for k, _, _ in report.dropped}
    assert_same_features(ref, ours)


def test_mocov3_release(tmp_path):
    """moco-v3: {'epoch','arch','state_dict','optimizer','scaler'};
    module.base_encoder.* (head = projection MLP), module.momentum_encoder.*,
    module.predictor.*."""
    ref = reference_vit()
    encoder = timm_state(ref.state_dict())
    encoder['head.0.weight'] = encoder.pop('head.weight')
    encoder.pop('head.bias')
    state = {f'module.base_encoder.{k}': v for k, v in encoder.items()}
    state.update({f'module.momentum_encoder.{k}': v.clone()
                  for k, v in encoder.items()})
    state['module.predictor.0.weight'] = torch.randn(16, 256)
    path = _save({'epoch': 300, 'arch': 'vit_base', 'state_dict': state,
                  'optimizer': {'state': {}, 'param_groups': [{'lr': 1e-3}]},
                  'scaler': {'scale': 1024.0}}, tmp_path)
    ours, report = _load(path, use_rel_pos_bias='shared')
    assert report.format == 'mocov3'
    reasons = {k: why for k, _, why in report.dropped}
    assert 'momentum' in reasons['module.momentum_encoder.blocks.0.norm1.weight']
    assert 'predictor' in reasons['module.predictor.0.weight']
    assert 'head' in reasons['module.base_encoder.head.0.weight']
    assert_same_features(ref, ours)


@pytest.mark.parametrize('src_shared,model_rel', [(True, 'shared'),
                                                  (False, 'per_block'),
                                                  (True, 'per_block')])
def test_unilm_beit(tmp_path, src_shared, model_rel):
    """unilm BEiT, shared (pre-training) or per-block (fine-tuned) tables.
    A shared table into a per_block model is copied to every block."""
    ref = reference_beit(shared=src_shared)
    path = _save({'model': unilm_beit_state(ref.state_dict()),
                  'epoch': 799}, tmp_path)
    ours, report = _load(path, **{**BEIT_KW, 'use_rel_pos_bias': model_rel})
    assert report.format == 'beit'
    assert_same_features(ref, ours)


# ---------------------------------------------------- mmpretrain 1.x layouts
def _mmpretrain_file(model, tmp_path):
    return _save({'meta': {'epoch': 1}, 'state_dict': model.state_dict()},
                 tmp_path)


def _reference_from(source, layer_scale=False):
    """No-cls mmpretrain ViT with the backbone weights of ``source``."""
    ref = reference_vit(layer_scale=layer_scale)
    backbone = source.backbone.state_dict()
    # mmpretrain's ViT pos_embed has the cls slot first; the reference has none.
    backbone['pos_embed'] = backbone['pos_embed'][:, 1:]
    ref.load_state_dict({k: backbone[k] for k in ref.state_dict()})
    return ref


@pytest.mark.parametrize('layer_scale', [False, True])
def test_mmpretrain_vit_classifier(tmp_path, layer_scale):
    source = MMPRETRAIN_MODELS.build(dict(
        type='ImageClassifier',
        backbone=dict(type='VisionTransformer', arch=TINY_MMPRETRAIN,
                      img_size=224, patch_size=16,
                      layer_scale_init_value=0.1 if layer_scale else 0.),
        head=dict(type='VisionTransformerClsHead', num_classes=10,
                  in_channels=C)))
    randomize(source)
    path = _mmpretrain_file(source, tmp_path)
    ours, report = _load(
        path, layer_scale_init_value=0.1 if layer_scale else None)
    assert report.format == 'mmpretrain'
    assert_same_features(_reference_from(source, layer_scale), ours)


def test_mmpretrain_mae(tmp_path):
    source = MMPRETRAIN_MODELS.build(dict(
        type='MAE',
        backbone=dict(type='MAEViT', arch=TINY_MMPRETRAIN, patch_size=16),
        neck=dict(type='MAEPretrainDecoder', patch_size=16, in_chans=3,
                  embed_dim=C, decoder_embed_dim=32, decoder_depth=1,
                  decoder_num_heads=4),
        head=dict(type='MAEPretrainHead', norm_pix=True, patch_size=16,
                  loss=dict(type='PixelReconstructionLoss', criterion='L2'))))
    randomize(source)
    path = _mmpretrain_file(source, tmp_path)
    ours, report = _load(path, use_rel_pos_bias='shared')
    assert any(k.startswith('neck.') for k, _, _ in report.dropped)
    assert_same_features(_reference_from(source), ours)


def test_mmpretrain_mocov3(tmp_path):
    source = MMPRETRAIN_MODELS.build(dict(
        type='MoCoV3',
        backbone=dict(type='MoCoV3ViT', arch=TINY_MMPRETRAIN, img_size=224,
                      patch_size=16),
        neck=dict(type='NonLinearNeck', in_channels=C, hid_channels=32,
                  out_channels=16, num_layers=2, with_avg_pool=False),
        head=dict(type='MoCoV3Head', loss=dict(type='CrossEntropyLoss'),
                  temperature=0.2,
                  predictor=dict(type='NonLinearNeck', in_channels=16,
                                 hid_channels=32, out_channels=16,
                                 num_layers=2, with_avg_pool=False))))
    randomize(source)
    path = _mmpretrain_file(source, tmp_path)
    ours, report = _load(path)
    dropped = {k.split('.')[0] for k, _, _ in report.dropped}
    assert {'momentum_encoder', 'neck', 'head'} <= dropped
    assert_same_features(_reference_from(source), ours)


def _beit_reference_from(source, shared):
    ref = reference_beit(shared=shared)
    backbone = source.backbone.state_dict()
    ref.load_state_dict({k: backbone[k] for k in ref.state_dict()})
    return ref


def test_mmpretrain_beit_pretrain(tmp_path):
    """mmpretrain BEiT (v1) self-supervised file: shared table, target
    generator (a small DALL-E encoder), BEiTV1Head."""
    source = MMPRETRAIN_MODELS.build(dict(
        type='BEiT',
        backbone=dict(type='BEiTPretrainViT', arch=TINY_MMPRETRAIN,
                      patch_size=16, layer_scale_init_value=0.1,
                      use_rel_pos_bias=False, use_shared_rel_pos_bias=True),
        neck=None,
        head=dict(type='BEiTV1Head', embed_dims=C, num_embed=32,
                  loss=dict(type='CrossEntropyLoss')),
        target_generator=dict(type='DALL-E', n_hid=8, n_blk_per_group=1,
                              vocab_size=32)))
    randomize(source)
    mask_cls_key(source.backbone.rel_pos_bias.relative_position_bias_table)
    path = _mmpretrain_file(source, tmp_path)
    ours, report = _load(path, **BEIT_KW)
    assert any(k.startswith('target_generator.')
               for k, _, _ in report.dropped)
    assert_same_features(_beit_reference_from(source, shared=True), ours)


def test_mmpretrain_beit_finetuned_per_block(tmp_path):
    source = MMPRETRAIN_MODELS.build(dict(
        type='ImageClassifier',
        backbone=dict(type='BEiTViT', arch=TINY_MMPRETRAIN, img_size=224,
                      patch_size=16, use_abs_pos_emb=False,
                      use_rel_pos_bias=True, layer_scale_init_value=0.1),
        neck=None,
        head=dict(type='LinearClsHead', num_classes=10, in_channels=C)))
    randomize(source)
    for layer in source.backbone.layers:
        mask_cls_key(layer.attn.relative_position_bias_table)
    path = _mmpretrain_file(source, tmp_path)
    ours, _ = _load(path, **{**BEIT_KW, 'use_rel_pos_bias': 'per_block'})
    assert_same_features(_beit_reference_from(source, shared=False), ours)


# ------------------------------------------------------------ own layout
def test_mmdet_detector_checkpoint_round_trip(tmp_path):
    """A detector checkpoint: the ViT under backbone., neck/heads dropped."""
    trained = our_vit(use_rel_pos_bias='per_block', qkv_bias='qv',
                      layer_scale_init_value=0.1)
    randomize(trained, seed=5)
    state = {f'backbone.{k}': v for k, v in trained.state_dict().items()}
    state['neck.lateral_convs.0.conv.weight'] = torch.randn(8, C, 1, 1)
    state['roi_head.bbox_head.fc_cls.weight'] = torch.randn(81, 8)
    path = _save({'meta': {'epoch': 12}, 'state_dict': state}, tmp_path)
    ours, report = _load(path, use_rel_pos_bias='per_block', qkv_bias='qv',
                         layer_scale_init_value=0.1)
    assert report.format == 'mmvitdet' and not report.new
    assert {k.split('.')[0] for k, _, _ in report.dropped} == {
        'neck', 'roi_head'}
    for key, value in trained.state_dict().items():
        torch.testing.assert_close(ours.state_dict()[key], value)


def test_bare_vit_state_dict_is_mmvitdet(tmp_path):
    trained = our_vit(use_rel_pos_bias='shared')
    randomize(trained, seed=6)
    path = _save(trained.state_dict(), tmp_path)
    ours, report = _load(path, use_rel_pos_bias='shared')
    assert report.format == 'mmvitdet'
    assert len(report.loaded) == len(trained.state_dict())
    x = torch.randn(1, 3, 224, 224)
    for e, g in zip(trained(x), ours(x)):
        torch.testing.assert_close(g, e)


def test_format_override_and_detection(tmp_path):
    ref = reference_vit()
    state = timm_state(ref.state_dict())
    path = _save({'model': state}, tmp_path)
    assert detect_format(unwrap_state_dict({'model': state}, path)[0],
                         path) == 'timm'
    # MAE's reader accepts an encoder-only file too: same layout.
    assert read_checkpoint(path, format='mae').format == 'mae'
    with pytest.raises(ValueError, match='not part of the mmpretrain layout'):
        read_checkpoint(path, format='mmpretrain')
    with pytest.raises(ValueError, match="format='vit' is unknown"):
        read_checkpoint(path, format='vit')
