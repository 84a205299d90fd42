"""ViT options for CLIP / SigLIP / DINOv2 weights: pre_norm, patch_bias, act_cfg; defaults keep every key."""
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmcv.cnn import build_activation_layer
from mmengine.registry import DefaultScope

from mmvitdet.models import ViT

TINY = dict(arch=dict(embed_dims=32, num_layers=2, num_heads=2), img_size=64, pretrain_img_size=64,
            window_size=0)


def test_defaults_keep_the_keys_and_exact_gelu():
    vit = ViT(**TINY)
    keys = set(vit.state_dict())
    assert 'patch_embed.proj.bias' in keys
    assert not any(k.startswith('norm_pre') for k in keys)
    assert type(vit.blocks[0].mlp.act) is nn.GELU and vit.blocks[0].mlp.act.approximate == 'none'


def test_pre_norm_and_patch_bias_options():
    vit = ViT(**TINY, pre_norm=True, patch_bias=False, norm_eps=1e-5).eval()
    keys = set(vit.state_dict())
    assert {'norm_pre.weight', 'norm_pre.bias'} <= keys and 'patch_embed.proj.bias' not in keys
    assert vit.norm_pre.eps == 1e-5
    assert vit.get_layer_depth('backbone.norm_pre.weight', 'backbone.')[0] == 0
    with torch.no_grad():
        vit.norm_pre.weight.fill_(0.)
        vit.norm_pre.bias.fill_(1.)
    # With the pre-norm giving constant tokens, every position of the first block's output is the same.
    out = vit(torch.randn(1, 3, 64, 64))[0]
    assert torch.allclose(out, out[..., :1, :1].expand_as(out), atol=1e-5)
    frozen = ViT(**TINY, pre_norm=True, frozen_stages=0)
    assert not frozen.norm_pre.weight.requires_grad


@pytest.mark.parametrize('scope', [None, 'mmdet'])
def test_activations_build_from_any_scope(scope):
    x = torch.linspace(-4, 4, 101)
    with DefaultScope.overwrite_default_scope(scope):
        quick = build_activation_layer(dict(type='QuickGELU'))
        tanh = build_activation_layer(dict(type='GELU', approximate='tanh'))
    torch.testing.assert_close(quick(x), x * torch.sigmoid(1.702 * x))
    torch.testing.assert_close(tanh(x), F.gelu(x, approximate='tanh'))


@pytest.mark.parametrize('act_cfg,fn', [
    (dict(type='QuickGELU'), lambda h: h * torch.sigmoid(1.702 * h)),
    (dict(type='GELU', approximate='tanh'), lambda h: F.gelu(h, approximate='tanh')),
])
def test_act_cfg_reaches_every_block(act_cfg, fn):
    vit = ViT(**TINY, act_cfg=act_cfg)
    for blk in vit.blocks:
        h = torch.randn(3, 32)
        torch.testing.assert_close(blk.mlp.act(h), fn(h))
    assert vit.act_cfg == act_cfg
