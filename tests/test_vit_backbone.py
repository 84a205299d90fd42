"""The ViT backbone against mmpretrain's reference ViTs, and its window logic."""
import pytest
import torch
import torch.nn as nn
from mmpretrain.models import BEiTViT, VisionTransformer

from mmvitdet.models import ViT
from mmvitdet.models.layers import window_partition, window_unpartition

TINY = dict(embed_dims=64, num_layers=4, num_heads=4, mlp_ratio=4)
TINY_MMPRETRAIN = dict(embed_dims=64, num_layers=4, num_heads=4,
                       feedforward_channels=256)


def _randomize(module: torch.nn.Module, seed: int = 0) -> None:
    """Give every parameter non-trivial values (zero-init tables hide bugs)."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in module.named_parameters():
            is_norm_weight = '.ln' in name and name.endswith('weight')
            p.copy_(torch.randn(p.shape, generator=g) * 0.1 +
                    float(is_norm_weight))


def _from_mmpretrain(state: dict) -> dict:
    """Rename an mmpretrain 1.x ViT/BEiTViT state dict to our layout (by hand)."""
    out = {}
    for key, value in state.items():
        key = key.replace('patch_embed.projection.', 'patch_embed.proj.')
        key = key.replace('layers.', 'blocks.', 1) if key.startswith(
            'layers.') else key
        for src, dst in (('.ln1.', '.norm1.'), ('.ln2.', '.norm2.'),
                         ('.ffn.layers.0.0.', '.mlp.fc1.'),
                         ('.ffn.layers.1.', '.mlp.fc2.')):
            key = key.replace(src, dst)
        out[key] = value
    return out


def _mmpretrain_vit_pair(window_size=0):
    ref = VisionTransformer(
        arch=TINY_MMPRETRAIN, img_size=224, patch_size=16,
        out_indices=(0, 1, 2, 3), with_cls_token=False, out_type='featmap',
        final_norm=False)
    ref.eval()
    _randomize(ref)
    ours = ViT(arch=TINY, img_size=224, window_size=window_size,
               out_indices=(0, 1, 2, 3)).eval()
    ours.load_state_dict(_from_mmpretrain(ref.state_dict()), strict=True)
    return ref, ours


@pytest.mark.parametrize('hw', [(224, 224), (320, 288)])
def test_global_vit_matches_mmpretrain_vision_transformer(hw):
    ref, ours = _mmpretrain_vit_pair(window_size=0)
    x = torch.randn(2, 3, *hw)
    with torch.no_grad():
        expected, got = ref(x), ours(x)
    assert len(got) == 4
    for e, g in zip(expected, got):
        assert g.shape == (2, 64, hw[0] // 16, hw[1] // 16)
        torch.testing.assert_close(g, e, rtol=0, atol=1e-5)


def test_beit_layout_matches_mmpretrain_beitvit():
    """Rel bias per block, layer scale and q/v biases, at the pre-training grid.

    mmpretrain's BEiT attention always has a class token; its token-to-class
    table row is set to -1e4 so no patch token attends to it, which makes the
    patch outputs those of a model without class token (ours).
    """
    ref = BEiTViT(arch=TINY_MMPRETRAIN, img_size=224, out_indices=[0, 1, 2, 3],
                  out_type='featmap', with_cls_token=True,
                  use_abs_pos_emb=False, use_rel_pos_bias=True,
                  layer_scale_init_value=0.1, bias='qv_bias')
    ref.eval()
    _randomize(ref)
    ours = ViT(arch=TINY, img_size=224, window_size=14,
               global_attn_indices=(1, 3), out_indices=(0, 1, 2, 3),
               use_abs_pos_embed=False, use_rel_pos_bias='per_block',
               qkv_bias='qv', layer_scale_init_value=0.1).eval()
    state = {}
    for key, value in _from_mmpretrain(ref.state_dict()).items():
        if key.endswith('relative_position_index') or key == 'cls_token':
            continue
        if key.endswith('relative_position_bias_table'):
            i = key.split('.')[1]
            with torch.no_grad():  # mask the class token out of attention
                getattr(ref.layers[int(i)].attn,
                        'relative_position_bias_table')[-2].fill_(-1e4)
            key = f'blocks.{i}.attn.rel_pos_bias.relative_position_bias_table'
            value = value[:-3]  # drop cls-to-token, token-to-cls, cls-to-cls
        state[key] = value
    ours.load_state_dict(state, strict=True)
    x = torch.randn(2, 3, 224, 224)
    with torch.no_grad():
        expected, got = ref(x), ours(x)
    for e, g in zip(expected, got):
        torch.testing.assert_close(g, e, rtol=0, atol=1e-5)


def test_window_blocks_equal_windows_run_as_separate_images():
    """A grid divisible by the window: window attention == each window alone."""
    torch.manual_seed(0)
    windowed = ViT(arch=TINY, img_size=128, window_size=4,
                   global_attn_indices=(), out_indices=(3, ),
                   use_abs_pos_embed=False, use_rel_pos_bias='shared',
                   rel_pos_zero_init=False).eval()
    # Same blocks, global attention, on 4x4 images: the global table of a 4x4
    # grid has the same shape as the 4x4 window table.
    single = ViT(arch=TINY, img_size=64, window_size=0, out_indices=(3, ),
                 use_abs_pos_embed=False, use_rel_pos_bias='shared').eval()
    state = {
        k.replace('rel_pos_bias_window', 'rel_pos_bias_global'): v
        for k, v in windowed.state_dict().items()
    }
    single.load_state_dict(state, strict=True)
    tokens = torch.randn(2, 8, 8, 64)
    with torch.no_grad():
        grid_out = tokens
        bias = windowed.rel_pos_bias_window((4, 4))
        for blk in windowed.blocks:
            grid_out = blk(grid_out, bias)
        windows, padded = window_partition(tokens, 4)
        win_out = windows
        bias = single.rel_pos_bias_global((4, 4))
        for blk in single.blocks:
            win_out = blk(win_out, bias)
        win_out = window_unpartition(win_out, 4, padded, (8, 8))
    torch.testing.assert_close(grid_out, win_out, rtol=0, atol=1e-5)


def test_window_partition_pads_and_crops_back():
    x = torch.randn(2, 10, 9, 8)
    windows, padded = window_partition(x, 4)
    assert padded == (12, 12) and windows.shape == (2 * 9, 4, 4, 8)
    assert torch.equal(window_unpartition(windows, 4, padded, (10, 9)), x)


def test_non_divisible_input_keeps_shape():
    # 200x190 -> 13x12 grid (patch padding), windows of 4 pad it to 16x12.
    model = ViT(arch=TINY, img_size=208, window_size=4,
                global_attn_indices=(1, ), use_rel_pos_bias='shared')
    outs = model(torch.randn(1, 3, 200, 190))
    assert [o.shape for o in outs] == [torch.Size([1, 64, 13, 12])] * 4


def test_every_parameter_gets_a_gradient():
    model = ViT(arch=TINY, img_size=128, window_size=4,
                global_attn_indices=(1, 3), use_rel_pos_bias='shared',
                qkv_bias='qv', layer_scale_init_value=0.1,
                drop_path_rate=0.1)
    model.train()
    outs = model(torch.randn(2, 3, 128, 128))
    sum(o.square().mean() for o in outs).backward()
    no_grad = [n for n, p in model.named_parameters()
               if p.grad is None or not torch.isfinite(p.grad).all()]
    assert no_grad == []
    # the zero-init relative tables must still receive a gradient
    assert model.rel_pos_bias_window.relative_position_bias_table.grad.abs(
    ).sum() > 0


def test_activation_checkpointing_gives_same_outputs_and_grads():
    torch.manual_seed(0)
    kwargs = dict(arch=TINY, img_size=128, window_size=4,
                  global_attn_indices=(1, 3), use_rel_pos_bias='shared')
    plain = ViT(**kwargs).train()
    cp = ViT(with_cp=True, **kwargs).train()
    cp.load_state_dict(plain.state_dict())
    x = torch.randn(2, 3, 128, 128)
    outs = [m(x) for m in (plain, cp)]
    for a, b in zip(*outs):
        torch.testing.assert_close(a, b)
    for m, o in zip((plain, cp), outs):
        sum(t.sum() for t in o).backward()
    for (name, a), b in zip(plain.named_parameters(), cp.parameters()):
        torch.testing.assert_close(a.grad, b.grad, msg=name)


def test_default_layout_of_paper_sizes():
    with torch.device('meta'):  # layout only: no memory, no init time
        _check_paper_layout()


def _check_paper_layout():
    base = ViT(arch='base', img_size=1024)
    assert base.global_attn_indices == (2, 5, 8, 11)
    assert base.out_indices == (2, 5, 8, 11)
    assert base.grid_size == (64, 64)
    assert sum(not b.is_global for b in base.blocks) == 8
    large = ViT(arch='large', img_size=1024, use_rel_pos_bias='shared')
    assert large.global_attn_indices == (5, 11, 17, 23)
    assert large.embed_dims == 1024 and len(large.blocks) == 24
    # one shared table per kind of block, as in the paper
    assert large.rel_pos_bias_window.relative_position_bias_table.shape == (
        27 * 27, 16)
    assert large.rel_pos_bias_global.relative_position_bias_table.shape == (
        127 * 127, 16)


def test_frozen_stages_and_layer_depth():
    model = ViT(arch=TINY, img_size=64, frozen_stages=2)
    model.train()
    frozen = {n for n, p in model.named_parameters() if not p.requires_grad}
    assert 'pos_embed' in frozen and 'patch_embed.proj.weight' in frozen
    assert 'blocks.1.mlp.fc2.bias' in frozen
    assert 'blocks.2.mlp.fc2.bias' not in frozen
    assert not model.blocks[0].training and model.blocks[2].training
    assert model.get_layer_depth('backbone.pos_embed', 'backbone.') == (0, 6)
    assert model.get_layer_depth('backbone.blocks.3.attn.qkv.weight',
                                 'backbone.') == (4, 6)
    assert model.get_layer_depth('neck.x', 'backbone.') == (5, 6)


@pytest.mark.parametrize('kwargs, match', [
    (dict(global_attn_indices=(2, 4)), 'global_attn_indices'),
    (dict(out_indices=(3, 1)), 'out_indices.*sorted'),
    (dict(out_indices=(0, 9)), 'out_indices.*out of range'),
    (dict(arch=dict(embed_dims=60, num_layers=4, num_heads=8)),
     'embed_dims=60 is not divisible by num_heads=8'),
    (dict(arch='gigantic'), "arch='gigantic'"),
    (dict(use_rel_pos_bias=True), 'use_rel_pos_bias'),
])
def test_bad_arguments_name_the_argument(kwargs, match):
    kwargs = {'arch': TINY, **kwargs}
    with pytest.raises(ValueError, match=match):
        ViT(**kwargs)


def test_input_with_wrong_channel_count_is_refused():
    model = ViT(arch=TINY, img_size=64)
    with pytest.raises(ValueError, match=r'in_channels=3.*\(1, 1, 64, 64\)'):
        model(torch.randn(1, 1, 64, 64))


def test_autocast_casts_the_shared_bias_once_and_stays_finite():
    """Mixed precision (bf16 autocast on CPU; fp16 on GPU runs the same code)."""
    model = ViT(arch=TINY, img_size=128, window_size=4,
                global_attn_indices=(1, 3), use_rel_pos_bias='shared',
                rel_pos_zero_init=False).train()
    with torch.autocast('cpu', dtype=torch.bfloat16):
        outs = model(torch.randn(2, 3, 128, 128))
        window_bias, global_bias = model._shared_biases((8, 8), torch.bfloat16)
    # the residual stream stays fp32 (fp32 + bf16 promotes), the matmuls run in bf16
    assert all(torch.isfinite(o).all() for o in outs)
    assert window_bias.dtype == global_bias.dtype == torch.bfloat16
    sum(o.float().mean() for o in outs).backward()
    grad = model.rel_pos_bias_global.relative_position_bias_table.grad
    assert grad is not None and torch.isfinite(grad).all() and grad.abs().sum() > 0


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason='needs a CUDA device')
def test_cuda_fp16_autocast_matches_fp32():
    torch.manual_seed(0)
    model = ViT(arch=TINY, img_size=128, window_size=4, global_attn_indices=(1, 3),
                use_rel_pos_bias='shared', rel_pos_zero_init=False).cuda().eval()
    x = torch.randn(2, 3, 128, 128, device='cuda')
    with torch.no_grad():
        ref = model(x)
        with torch.autocast('cuda', dtype=torch.float16):
            half = model(x)
    for a, b in zip(ref, half):
        torch.testing.assert_close(b.float(), a, rtol=2e-2, atol=2e-2)


@pytest.mark.parametrize('rel_pos', ['shared', 'per_block', 'decomposed'])
def test_a_frozen_backbone_stays_bit_identical_through_a_training_step(rel_pos):
    """frozen_stages=num_layers: every backbone tensor (relative tables of every kind included) unchanged by
    AdamW with weight decay, while what follows it trains; the forward keeps no autograd graph."""
    torch.manual_seed(0)
    model = ViT(arch=TINY, img_size=64, window_size=2, global_attn_indices=(1, 3), use_rel_pos_bias=rel_pos,
                rel_pos_zero_init=False, drop_path_rate=0.5, frozen_stages=TINY['num_layers'])
    head = nn.Conv2d(TINY['embed_dims'], 1, 1)
    model.train()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    optimizer = torch.optim.AdamW([*model.parameters(), *head.parameters()], lr=1e-2, weight_decay=0.1)
    outs = model(torch.randn(2, 3, 64, 64))
    assert all(not o.requires_grad and o.grad_fn is None for o in outs)
    head_before = head.weight.detach().clone()
    sum(head(o).square().mean() for o in outs).backward()
    optimizer.step()
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())
    assert not torch.equal(head_before, head.weight)
    assert not any(m.training for m in model.modules())  # drop path off
    assert not [n for n, p in model.named_parameters() if p.requires_grad]


def test_partial_freezing_includes_the_shared_tables():
    model = ViT(arch=TINY, img_size=64, window_size=2, global_attn_indices=(1, 3), frozen_stages=1)
    frozen = {n for n, p in model.named_parameters() if not p.requires_grad}
    assert {n for n in dict(model.named_parameters()) if n.startswith('rel_pos_bias_')} <= frozen
    assert 'blocks.0.attn.qkv.weight' in frozen and 'blocks.1.attn.qkv.weight' not in frozen
    assert model(torch.randn(1, 3, 64, 64))[-1].requires_grad  # blocks 1.. still train
