"""Configs of the inits beyond the paper (DINO, DINOv2, CLIP, SigLIP): each pre-training's facts, the paper's detector.

test_configs.test_config_builds builds every one of them (model, datasets, optimizer); here: what each
config must state (mean/std, LN eps, activation, layer scale, pre-norm, patch bias, grid, window, file), the
protocol's grid centre, and a real forward of the backbone each config describes (tiny width/depth).
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
from mmvitdet.checkpoints.patch_embed_resize import PATCH_EMBED_RESIZE_METHODS
from mmvitdet.utils.protocol_configs import FINE_TUNING
from mmvitdet.models import ViT

CONFIGS = Path(__file__).resolve().parents[1] / 'configs'
IMAGENET = ([123.675, 116.28, 103.53], [58.395, 57.12, 57.375])
CLIP_STATS = ([122.771, 116.746, 104.094], [68.501, 66.632, 70.323])  # OpenAI CLIP's, x 255
HALF = ([127.5] * 3, [127.5] * 3)  # SigLIP: [-1, 1]
GELU, TANH, QUICK = dict(type='GELU'), dict(type='GELU', approximate='tanh'), dict(type='QuickGELU')
# (init, size) -> file, format, (mean, std), LN eps, activation, layer scale, pre-norm, patch bias,
# pre-training grid kept in the model, window (the paper's rule), patch_embed_resize.
EXPECTED = {
    ('dino', 'b'): ('dino_vitbase16_pretrain.pth', 'dino', IMAGENET, 1e-6, GELU, None, False, True, 14, 14, None),
    ('dinov2', 'b'): ('dinov2_vitb14_pretrain.pth', 'dinov2', IMAGENET, 1e-6, GELU, 1e-5, False, True, 37, 16,
                      'pinv'),
    ('dinov2', 'l'): ('dinov2_vitl14_pretrain.pth', 'dinov2', IMAGENET, 1e-6, GELU, 1e-5, False, True, 37, 16,
                      'pinv'),
    ('clip', 'b'): ('ViT-B-16.pt', 'clip', CLIP_STATS, 1e-5, QUICK, None, True, False, 14, 14, None),
    ('clip', 'l'): ('ViT-L-14.pt', 'clip', CLIP_STATS, 1e-5, QUICK, None, True, False, 16, 16, 'pinv'),
    ('siglip', 'b'): ('siglip-base-patch16-224', 'hf_clip', HALF, 1e-6, TANH, None, False, True, 14, 14, None),
    ('siglip', 'l'): ('siglip-large-patch16-256', 'hf_clip', HALF, 1e-6, TANH, None, False, True, 16, 16, None),
}
GLOBAL_BLOCKS = {'b': (2, 5, 8, 11), 'l': (5, 11, 17, 23)}
TINY = dict(embed_dims=32, num_layers=4, num_heads=2, mlp_ratio=4)


def config_path(init, size):
    return CONFIGS / init / f'mask-rcnn_vit-{size}-{init}_fpn_lsj-100e_coco.py'


def load(init, size, monkeypatch):
    monkeypatch.setenv('MMVITDET_CHECKPOINTS', '/ckpt')
    return Config.fromfile(str(config_path(init, size)))


def test_every_new_init_config_is_listed():
    found = {(p.parent.name, p.name.split('-')[2]) for init in ('dino', 'dinov2', 'clip', 'siglip')
             for p in (CONFIGS / init).glob('*.py') if FINE_TUNING.match(p.name)}  # siblings: test_protocols
    assert found == set(EXPECTED)


@pytest.mark.parametrize('init, size', sorted(EXPECTED), ids=lambda v: str(v))
def test_config_states_its_pretraining(init, size, monkeypatch):
    cfg = load(init, size, monkeypatch)
    name, fmt, (mean, std), eps, act, ls, pre_norm, patch_bias, grid, window, resize = EXPECTED[(init, size)]
    bb, pre = cfg.model.backbone, cfg.model.data_preprocessor
    assert (pre.mean, pre.std, pre.bgr_to_rgb) == (mean, std, True)  # every release pre-trains on RGB
    assert (bb.norm_eps, bb.act_cfg, bb.layer_scale_init_value) == (eps, act, ls)
    assert (bb.pre_norm, bb.patch_bias, bb.qkv_bias) == (pre_norm, patch_bias, True)
    # the paper's detector: patch 16 at 1024 (64x64 grid), 4 global blocks and taps, abs + zero-init shared rel
    assert (bb.patch_size, bb.img_size, bb.window_size) == (16, (1024, 1024), window)
    assert tuple(bb.global_attn_indices) == GLOBAL_BLOCKS[size] == tuple(bb.out_indices)
    assert (bb.use_abs_pos_embed, bb.use_rel_pos_bias, bb.rel_pos_zero_init) == (True, 'shared', True)
    assert bb.pretrain_img_size in (grid * 16, (grid * 16, grid * 16))
    assert bb.get('with_cp', False) is (size == 'l')
    init_cfg = bb.init_cfg
    assert init_cfg.type == 'Pretrained' and init_cfg.checkpoint == f'/ckpt/{name}'
    assert init_cfg.get('patch_embed_resize') == resize
    assert resize is None or resize in PATCH_EMBED_RESIZE_METHODS
    assert init_cfg.format == fmt and fmt in FORMATS
    # hyper-parameters: the protocol's grid centre; dp as the paper chose for every init (0.1 B, 0.3 L)
    opt = cfg.optim_wrapper.optimizer
    assert (opt.lr, opt.weight_decay) == (1.6e-4, 0.1)
    assert bb.drop_path_rate == {'b': 0.1, 'l': 0.3}[size]
    assert cfg.train_cfg.max_epochs == 100
    text = config_path(init, size).read_text()
    assert name in text and 'https://' in text and 'grid centre' in text


@pytest.mark.parametrize('init, size', sorted(EXPECTED), ids=lambda v: str(v))
def test_backbone_of_each_config_runs(init, size, monkeypatch):
    """The config's ViT options at tiny width/depth: grids, norms, activation and a forward on real tensors."""
    cfg = load(init, size, monkeypatch)
    *_, grid, window, _ = EXPECTED[(init, size)]
    kwargs = dict(cfg.model.backbone, arch=TINY, global_attn_indices=(1, 3), out_indices=(1, 3),
                  img_size=256, init_cfg=None)
    kwargs.pop('type')
    with DefaultScope.overwrite_default_scope('mmdet'):
        vit = MODELS.build(dict(type='ViT', **kwargs)).eval()
    assert isinstance(vit, ViT) and vit.pretrain_grid_size == (grid, grid)
    assert vit.grid_size == (16, 16) and vit.blocks[0].window_size == window
    act = vit.blocks[0].mlp.act
    x = torch.linspace(-3, 3, 13)
    expected = {'GELU': torch.nn.functional.gelu(x), 'QuickGELU': x * torch.sigmoid(1.702 * x)}[
        cfg.model.backbone.act_cfg['type']]
    if cfg.model.backbone.act_cfg.get('approximate') == 'tanh':
        expected = torch.nn.functional.gelu(x, approximate='tanh')
    torch.testing.assert_close(act(x), expected)
    assert vit.blocks[0].norm1.eps == cfg.model.backbone.norm_eps
    assert (vit.patch_embed.proj.bias is not None) == cfg.model.backbone.patch_bias
    with torch.no_grad():
        outs = vit(torch.randn(1, 3, 256, 256))
    assert [tuple(o.shape) for o in outs] == [(1, 32, 16, 16)] * 2
    assert all(torch.isfinite(o).all() for o in outs)


@pytest.mark.parametrize('init, size', sorted(EXPECTED), ids=lambda v: str(v))
def test_analysis_names_the_init_of_each_config(init, size, monkeypatch):
    """Result tables group runs by the init read from the dumped config: the paper's detector, variant ''."""
    ident = identify_run(load(init, size, monkeypatch).to_dict(), str(config_path(init, size)))
    assert (ident.init, ident.size, ident.variant) == (init, size.upper(), '')


def test_native_patch14_ablation_is_a_variant(monkeypatch):
    path = CONFIGS / 'ablations' / 'patch14' / 'mask-rcnn_vit-b-dinov2-native-p14_fpn_lsj-100e_coco.py'
    monkeypatch.setenv('MMVITDET_CHECKPOINTS', '/ckpt')
    cfg = Config.fromfile(str(path))
    bb = cfg.model.backbone
    assert (bb.patch_size, bb.pretrain_img_size, bb.window_size) == (14, 518, 16)
    assert 'patch_embed_resize' not in bb.init_cfg and bb.init_cfg.checkpoint == '/ckpt/dinov2_vitb14_pretrain.pth'
    assert [n.type for n in cfg.model.neck] == ['StrideResample', 'ResolutionAdapter', 'FPN']
    ident = identify_run(cfg.to_dict(), str(path))
    assert (ident.init, ident.variant) == ('dinov2', 'patch 14')
