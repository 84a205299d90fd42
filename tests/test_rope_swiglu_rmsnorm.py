"""The 2025-26 block types against formulas written here: 2-D RoPE (DINOv3 / EVA-02 / PE rules), SwiGLU with
and without sub-norm, RMSNorm; the ViT's two RoPE rules for window blocks against an explicit window-attention
reference; arch feedforward_channels."""
import math

import pytest
import torch
import torch.nn.functional as F

from mmvitdet.models import ViT
from mmvitdet.models.layers.norm import build_norm
from mmvitdet.models.layers.rope import RotaryEmbedding2D, apply_rope, check_rope_cfg
from mmvitdet.models.layers.swiglu import SwiGLU

DINOV3 = dict(base=100., coords='centered', offset=0., axis_order='yx', rotation='half')
EVA02 = dict(base=10000., coords='index', offset=0., axis_order='yx', rotation='interleaved')
PE = dict(base=10000., coords='index', offset=1., axis_order='xy', rotation='interleaved')


def coordinate(k, n, rope, ref):
    """The release's coordinate of position k on an axis of n tokens."""
    if rope['coords'] == 'centered':
        return 2 * (k + 0.5) / n - 1
    return (k + rope['offset']) * ref / n


def rotate_token(vec, row, col, span, rope, ref=(14, 14)):
    """Rotate one head vector [D] of the token at (row, col), by loops over its channel pairs."""
    d = vec.numel()
    bands = d // 4
    coords = {'y': coordinate(row, span[0], rope, ref[0]), 'x': coordinate(col, span[1], rope, ref[1])}
    axes = rope['axis_order']
    out = vec.clone()
    for p in range(d // 2):
        axis, band = axes[p // bands], p % bands
        if rope['coords'] == 'centered':  # DINOv3: period base^(band / bands), angle 2 pi c / period
            angle = 2 * math.pi * coords[axis] / rope['base']**(band / bands)
        else:  # EVA-02 / PE: inverse frequency 1 / base^(band / bands)
            angle = coords[axis] / rope['base']**(band / bands)
        i, j = (p, p + d // 2) if rope['rotation'] == 'half' else (2 * p, 2 * p + 1)
        out[i] = vec[i] * math.cos(angle) - vec[j] * math.sin(angle)
        out[j] = vec[j] * math.cos(angle) + vec[i] * math.sin(angle)
    return out


@pytest.mark.parametrize('rope', [DINOV3, EVA02, PE], ids=['dinov3', 'eva02', 'pe'])
@pytest.mark.parametrize('grid', [(3, 5), (4, 4)])
def test_rope_tables_rotate_as_the_formula(rope, grid):
    table = RotaryEmbedding2D(16, **rope, ref_grid=(14, 14)).double()
    sin, cos = table(grid)
    x = torch.randn(1, 2, grid[0] * grid[1], 16, dtype=torch.float64)
    got = apply_rope(x, sin.double(), cos.double(), rope['rotation'])
    for n in range(grid[0] * grid[1]):
        r, c = divmod(n, grid[1])
        for h in range(2):
            torch.testing.assert_close(got[0, h, n], rotate_token(x[0, h, n], r, c, grid, rope), atol=1e-5,
                                       rtol=1e-5)


def test_rope_is_relative_and_keeps_norms():
    """q.k depends on the offset only (at a fixed span) and every rotation keeps the vector length."""
    table = RotaryEmbedding2D(8, **EVA02)
    sin, cos = table((6, 6))
    q, k = torch.randn(8), torch.randn(8)
    qs = apply_rope(q.expand(1, 1, 36, 8), sin, cos, 'interleaved')[0, 0]
    ks = apply_rope(k.expand(1, 1, 36, 8), sin, cos, 'interleaved')[0, 0]
    torch.testing.assert_close(qs.norm(dim=-1), q.norm().expand(36))
    # (1, 1)->(2, 3) and (3, 2)->(4, 4): the same offset (1, 2)
    torch.testing.assert_close(qs[1 * 6 + 1] @ ks[2 * 6 + 3], qs[3 * 6 + 2] @ ks[4 * 6 + 4], atol=1e-5, rtol=1e-5)


def test_rope_config_errors():
    with pytest.raises(ValueError, match='needs base='):
        check_rope_cfg(dict(coords='index'))
    with pytest.raises(ValueError, match="rotation='diag'"):
        check_rope_cfg(dict(base=100, rotation='diag'))
    with pytest.raises(ValueError, match="unknown key"):
        check_rope_cfg(dict(base=100, theta=3))
    with pytest.raises(ValueError, match='divisible by 4'):
        RotaryEmbedding2D(6, base=100)


@pytest.mark.parametrize('sub_norm', [False, True])
@pytest.mark.parametrize('bias', [True, False])
def test_swiglu_formula(sub_norm, bias):
    norm = build_norm('layer_norm', 24, 1e-6) if sub_norm else None
    ffn = SwiGLU(16, 24, bias=bias, sub_norm=norm)
    for p in ffn.parameters():
        torch.nn.init.normal_(p)
    x = torch.randn(3, 5, 16)
    hidden = F.silu(x @ ffn.w1.weight.T + (ffn.w1.bias if bias else 0)) * (x @ ffn.w2.weight.T +
                                                                           (ffn.w2.bias if bias else 0))
    if sub_norm:
        hidden = F.layer_norm(hidden, (24, ), ffn.norm.weight, ffn.norm.bias, 1e-6)
    expected = hidden @ ffn.w3.weight.T + (ffn.w3.bias if bias else 0)
    torch.testing.assert_close(ffn(x), expected)
    assert (ffn.w1.bias is None) is not bias


def test_rms_norm_formula():
    norm = build_norm('rms_norm', 16, 1e-5)
    torch.nn.init.normal_(norm.weight)
    x = torch.randn(4, 16) * 3
    expected = x / torch.sqrt(x.pow(2).mean(-1, keepdim=True) + 1e-5) * norm.weight
    torch.testing.assert_close(norm(x), expected)
    # a bf16 input is normalized in float32 and returned in bf16
    xb = x.bfloat16().float()
    in_float32 = xb / torch.sqrt(xb.pow(2).mean(-1, keepdim=True) + 1e-5) * norm.weight
    torch.testing.assert_close(norm(x.bfloat16()), in_float32.bfloat16(), atol=0, rtol=0)
    assert not hasattr(norm, 'bias') or norm.bias is None


def test_arch_feedforward_channels():
    vit = ViT(arch=dict(embed_dims=32, num_layers=2, num_heads=2, feedforward_channels=40), img_size=64,
              window_size=0, ffn_type='swiglu')
    assert vit.blocks[0].mlp.w1.out_features == 40 and vit.feedforward_channels == 40
    mlp = ViT(arch=dict(embed_dims=32, num_layers=2, num_heads=2, feedforward_channels=96), img_size=64,
              window_size=0)
    assert mlp.blocks[0].mlp.fc1.out_features == 96
    with pytest.raises(ValueError, match='not both'):
        ViT(arch=dict(embed_dims=32, num_layers=2, num_heads=2, mlp_ratio=4, feedforward_channels=96))
    with pytest.raises(ValueError, match=r"unknown \['hidden'\]"):
        ViT(arch=dict(embed_dims=32, num_layers=2, num_heads=2, hidden=96))


# ------------------------------------------------------------------ RoPE in window blocks: both rules
def explicit_window_block(vit, x, rope):
    """Block 0 (a window block) of ``vit`` on the token grid x [H, W, C], written out with loops."""
    blk, ws = vit.blocks[0], vit.window_size
    H, W, C = x.shape
    heads, d = blk.attn.num_heads, C // blk.attn.num_heads
    h = blk.norm1(x)
    Hp, Wp = -(-H // ws) * ws, -(-W // ws) * ws
    padded = torch.zeros(Hp, Wp, C, dtype=x.dtype)
    padded[:H, :W] = h
    out = torch.zeros_like(padded)
    window_rule = rope.get('window_coords', 'window') == 'window'
    for wy in range(0, Hp, ws):
        for wx in range(0, Wp, ws):
            tokens = padded[wy:wy + ws, wx:wx + ws].reshape(-1, C)
            qkv = F.linear(tokens, blk.attn.qkv.weight, blk.attn.qkv.bias).view(-1, 3, heads, d)
            q, k, v = qkv.unbind(1)
            q, k = q.clone(), k.clone()
            for n in range(ws * ws):
                r, c = divmod(n, ws)
                row, col, span = (r, c, (ws, ws)) if window_rule else (wy + r, wx + c, (H, W))
                for hd in range(heads):
                    q[n, hd] = rotate_token(q[n, hd], row, col, span, rope, vit.pretrain_grid_size)
                    k[n, hd] = rotate_token(k[n, hd], row, col, span, rope, vit.pretrain_grid_size)
            attn = torch.softmax(torch.einsum('nhd,mhd->hnm', q, k) / math.sqrt(d), dim=-1)
            mixed = torch.einsum('hnm,mhd->nhd', attn, v).reshape(-1, C)
            out[wy:wy + ws, wx:wx + ws] = blk.attn.proj(mixed).view(ws, ws, C)
    y = x + out[:H, :W]
    return y + blk.mlp(blk.norm2(y))


@pytest.mark.parametrize('rope', [dict(DINOV3), dict(EVA02, window_coords='image'), dict(DINOV3,
                                                                                           window_coords='image'),
                                  dict(PE)], ids=['dinov3-window', 'eva02-image', 'dinov3-image', 'pe-window'])
def test_window_blocks_rotate_by_the_configured_coordinates(rope):
    torch.manual_seed(0)
    vit = ViT(arch=dict(embed_dims=16, num_layers=2, num_heads=2, mlp_ratio=2), img_size=(96, 112), patch_size=16,
              pretrain_img_size=64, window_size=4, global_attn_indices=(1, ), out_indices=(0, ),
              use_abs_pos_embed=False, rope=rope).double().eval()
    for p in vit.parameters():
        torch.nn.init.normal_(p, std=0.3)
    img = torch.randn(1, 3, 96, 112, dtype=torch.float64)
    with torch.no_grad():
        got = vit(img)[0][0].permute(1, 2, 0)  # [6, 7, C]: pads to 8 x 8 in 4 x 4 windows
        tokens = vit.patch_embed(img)[0]
        expected = explicit_window_block(vit, tokens, rope)
    # the tables are float32, as in every release (a wrong coordinate rule is off by O(1))
    torch.testing.assert_close(got, expected, atol=1e-6, rtol=1e-5)


def test_the_two_window_rules_differ_and_global_blocks_agree():
    torch.manual_seed(0)
    kw = dict(arch=dict(embed_dims=16, num_layers=2, num_heads=2), img_size=128, window_size=4,
              global_attn_indices=(1, ), use_abs_pos_embed=False)
    a = ViT(**kw, rope=dict(EVA02)).eval()
    b = ViT(**kw, rope=dict(EVA02, window_coords='image'))
    b.load_state_dict(a.state_dict())
    win_a, glob_a = a._rope_tables((8, 8))
    win_b, glob_b = b._rope_tables((8, 8))
    torch.testing.assert_close(glob_a, glob_b)
    assert win_a[0].shape == (16, 8) and win_b[0].shape == (4, 16, 8)  # one table vs one per window
    assert not torch.allclose(win_a[0], win_b[0][1])


@pytest.mark.parametrize('device', ['cpu', pytest.param('cuda', marks=[pytest.mark.gpu, pytest.mark.skipif(
    not torch.cuda.is_available(), reason='needs a CUDA device')])])
@pytest.mark.parametrize('window_coords', ['window', 'image'])
def test_rope_swiglu_rmsnorm_train_under_autocast_with_checkpointing(device, window_coords):
    """bf16 autocast (the configs' AMP on CPU; fp16 on CUDA), activation checkpointing, windows with padding:
    finite outputs (the residual stream stays float32) and gradients on every parameter; RMSNorm and the
    rotation keep their input's dtype."""
    dtype = torch.bfloat16 if device == 'cpu' else torch.float16
    vit = ViT(arch=dict(embed_dims=32, num_layers=4, num_heads=2, feedforward_channels=48), img_size=96,
              window_size=4, global_attn_indices=(1, 3), out_indices=(1, 3), ffn_type='swiglu', ffn_bias=False,
              norm_type='rms_norm', patch_norm=True, proj_bias=False, qkv_bias='qv', use_rel_pos_bias='shared',
              rope=dict(base=100, window_coords=window_coords), with_cp=True, drop_path_rate=0.1).to(device).train()
    with torch.autocast(device, dtype=dtype):
        outs = vit(torch.randn(2, 3, 96, 80, device=device))
    assert all(o.dtype == torch.float32 and torch.isfinite(o).all() for o in outs)
    half = torch.randn(4, 32, device=device, dtype=dtype)
    assert vit.patch_norm(half).dtype == dtype
    sin, cos = vit.rope((4, 4))
    assert apply_rope(torch.randn(1, 2, 16, 16, device=device, dtype=dtype), sin, cos, 'half').dtype == dtype
    sum(o.float().square().mean() for o in outs).backward()
    missing = [n for n, p in vit.named_parameters() if p.grad is None]
    assert not missing and vit.rope.periods.grad is None
