"""Decomposed relative position (use_rel_pos_bias='decomposed') against detectron2's rule, re-implemented here
from its definition (get_rel_pos, add_decomposed_rel_pos, explicit softmax attention, zero-padded windows and
get_abs_pos), at the pre-training size and at a larger input; and ViTDet's pyramid widths."""
import math
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F

from mmvitdet.models import ViT
from mmvitdet.models.layers import decomposed_rel_pos_bias

REPO = Path(__file__).resolve().parents[1]


# ---------------------------------------------------------------- detectron2's functions, written out
def d2_get_rel_pos(q_size, k_size, rel_pos):
    max_rel_dist = int(2 * max(q_size, k_size) - 1)
    if rel_pos.shape[0] != max_rel_dist:
        resized = F.interpolate(rel_pos.reshape(1, rel_pos.shape[0], -1).permute(0, 2, 1), size=max_rel_dist,
                                mode='linear')
        resized = resized.reshape(-1, max_rel_dist).permute(1, 0)
    else:
        resized = rel_pos
    q_coords = torch.arange(q_size)[:, None] * max(k_size / q_size, 1.0)
    k_coords = torch.arange(k_size)[None, :] * max(q_size / k_size, 1.0)
    relative = (q_coords - k_coords) + (k_size - 1) * max(q_size / k_size, 1.0)
    return resized[relative.long()]


def d2_add_decomposed_rel_pos(attn, q, rel_pos_h, rel_pos_w, q_size, k_size):
    q_h, q_w = q_size
    k_h, k_w = k_size
    r_h = d2_get_rel_pos(q_h, k_h, rel_pos_h)
    r_w = d2_get_rel_pos(q_w, k_w, rel_pos_w)
    B, _, dim = q.shape
    r_q = q.reshape(B, q_h, q_w, dim)
    rel_h = torch.einsum('bhwc,hkc->bhwk', r_q, r_h)
    rel_w = torch.einsum('bhwc,wkc->bhwk', r_q, r_w)
    attn = attn.view(B, q_h, q_w, k_h, k_w) + rel_h[:, :, :, :, None] + rel_w[:, :, :, None, :]
    return attn.view(B, q_h * q_w, k_h * k_w)


def d2_attention(attn_module, x):
    """detectron2 ViT Attention.forward on x [B, H, W, C] with the weights of our Attention."""
    B, H, W, _ = x.shape
    heads = attn_module.num_heads
    qkv = attn_module.qkv(x).reshape(B, H * W, 3, heads, -1).permute(2, 0, 3, 1, 4)
    q, k, v = qkv.reshape(3, B * heads, H * W, -1).unbind(0)
    attn = (q * attn_module.head_dims**-0.5) @ k.transpose(-2, -1)
    attn = d2_add_decomposed_rel_pos(attn, q, attn_module.rel_pos.rel_pos_h, attn_module.rel_pos.rel_pos_w,
                                     (H, W), (H, W))
    attn = attn.softmax(dim=-1)
    x = (attn @ v).view(B, heads, H, W, -1).permute(0, 2, 3, 1, 4).reshape(B, H, W, -1)
    return attn_module.proj(x)


def d2_window_partition(x, window_size):
    B, H, W, C = x.shape
    pad_h = (window_size - H % window_size) % window_size
    pad_w = (window_size - W % window_size) % window_size
    x = F.pad(x, (0, 0, 0, pad_w, 0, pad_h))
    Hp, Wp = H + pad_h, W + pad_w
    x = x.view(B, Hp // window_size, window_size, Wp // window_size, window_size, C)
    return x.permute(0, 1, 3, 2, 4, 5).reshape(-1, window_size, window_size, C), (Hp, Wp)


def d2_window_unpartition(windows, window_size, pad_hw, hw):
    Hp, Wp = pad_hw
    B = windows.shape[0] // (Hp * Wp // window_size // window_size)
    x = windows.view(B, Hp // window_size, Wp // window_size, window_size, window_size, -1)
    x = x.permute(0, 1, 3, 2, 4, 5).reshape(B, Hp, Wp, -1)
    return x[:, :hw[0], :hw[1], :]


def d2_get_abs_pos(abs_pos, hw):
    size = int(math.sqrt(abs_pos.shape[1]))
    if (size, size) == tuple(hw):
        return abs_pos.reshape(1, size, size, -1)
    new = F.interpolate(abs_pos.reshape(1, size, size, -1).permute(0, 3, 1, 2), size=hw, mode='bicubic',
                        align_corners=False)
    return new.permute(0, 2, 3, 1)


def d2_vit_forward(vit, images):
    """detectron2's ViT.forward (pre-norm blocks, windows with zero padding, no masking) on our weights."""
    x = vit.patch_embed(images)
    x = x + d2_get_abs_pos(vit.pos_embed, x.shape[1:3])
    outs = []
    for i, blk in enumerate(vit.blocks):
        shortcut = x
        y = blk.norm1(x)
        if blk.window_size > 0:
            H, W = y.shape[1:3]
            y, pad_hw = d2_window_partition(y, blk.window_size)
            y = d2_window_unpartition(d2_attention(blk.attn, y), blk.window_size, pad_hw, (H, W))
        else:
            y = d2_attention(blk.attn, y)
        x = shortcut + y
        x = x + blk.mlp(blk.norm2(x))
        if i in vit.out_indices:
            outs.append(x.permute(0, 3, 1, 2))
    return outs


def tiny_vit(img_size=64, **kw):
    """Patch 8, a 8x8 grid at 64 px; windows of 3 (the 8x8 grid pads to 9x9), blocks 1 and 3 global."""
    vit = ViT(arch=dict(embed_dims=32, num_layers=4, num_heads=2), img_size=img_size, patch_size=8,
              pretrain_img_size=64, window_size=3, global_attn_indices=(1, 3), out_indices=(0, 1, 2, 3),
              use_rel_pos_bias='decomposed', **kw)
    g = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for name, p in vit.named_parameters():
            p.add_(torch.randn(p.shape, generator=g) * 0.2)  # tables and all weights away from their init
    return vit.eval().double()


# ---------------------------------------------------------------- tests
def test_tables_are_per_block_sized_by_window_or_grid_and_zero_initialised():
    vit = ViT(arch=dict(embed_dims=32, num_layers=4, num_heads=2), img_size=64, patch_size=8,
              pretrain_img_size=64, window_size=3, global_attn_indices=(1, 3), use_rel_pos_bias='decomposed')
    shapes = [tuple(b.attn.rel_pos.rel_pos_h.shape) for b in vit.blocks]
    assert shapes == [(5, 16), (15, 16), (5, 16), (15, 16)]  # 2 * 3 - 1 and 2 * 8 - 1 offsets, head width 16
    assert all(b.attn.rel_pos.rel_pos_w.abs().max() == 0 for b in vit.blocks)
    truncated = ViT(arch=dict(embed_dims=32, num_layers=4, num_heads=2), img_size=64, patch_size=8,
                    window_size=3, global_attn_indices=(1, 3), use_rel_pos_bias='decomposed',
                    rel_pos_zero_init=False)
    assert 0 < truncated.blocks[0].attn.rel_pos.rel_pos_h.std() < 0.05  # detectron2: trunc-normal 0.02
    assert vit.get_layer_depth('blocks.2.attn.rel_pos.rel_pos_h') == (3, 6)  # layer-wise lr decay of block 2


@pytest.mark.parametrize('img_size,input_hw', [(64, (64, 64)), (64, (96, 80))])
def test_backbone_equals_detectron2_rule(img_size, input_hw):
    """(64, 64): the tables' own size; (96, 80): a 12x10 grid, so the global tables (15 offsets) are resized
    linearly to 23 and 19 at every forward, the abs embedding bicubically, and the windows pad 12x10 to 12x12."""
    vit = tiny_vit(img_size)
    images = torch.randn(2, 3, *input_hw, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    with torch.no_grad():
        ours = vit(images)
        ref = d2_vit_forward(vit, images)
    # float64, except the bicubic resize of the abs embedding (mmpretrain's resize_pos_embed runs it in float32)
    tol = 1e-10 if tuple(input_hw) == (img_size, img_size) else 1e-5
    for a, b in zip(ours, ref):
        torch.testing.assert_close(a, b, rtol=tol, atol=tol)


def test_bias_gradients_reach_the_tables_and_the_queries():
    q = torch.randn(2, 2, 12, 8, dtype=torch.float64, requires_grad=True)
    rel_h = torch.randn(5, 8, dtype=torch.float64, requires_grad=True)
    rel_w = torch.randn(9, 8, dtype=torch.float64, requires_grad=True)  # 9 offsets for a 4-wide grid: resized to 7
    bias = decomposed_rel_pos_bias(q, rel_h, rel_w, (3, 4), (3, 4))
    ref = d2_add_decomposed_rel_pos(torch.zeros(4, 12, 12, dtype=torch.float64), q.reshape(4, 12, 8), rel_h, rel_w,
                                    (3, 4), (3, 4)).reshape(2, 2, 12, 12)
    torch.testing.assert_close(bias, ref)
    assert torch.autograd.gradcheck(lambda q, h, w: decomposed_rel_pos_bias(q, h, w, (3, 4), (3, 4)),
                                    (q, rel_h, rel_w))


def test_training_step_under_checkpointing_and_bf16_autocast():
    vit = ViT(arch=dict(embed_dims=32, num_layers=4, num_heads=2), img_size=64, patch_size=8, window_size=3,
              global_attn_indices=(1, 3), out_indices=(3, ), use_rel_pos_bias='decomposed', with_cp=True,
              rel_pos_zero_init=False)
    with torch.autocast('cpu', dtype=torch.bfloat16):
        out = vit(torch.randn(1, 3, 64, 64))[0]
    out.float().square().mean().backward()
    grads = [b.attn.rel_pos.rel_pos_h.grad for b in vit.blocks]
    assert all(g is not None and torch.isfinite(g).all() and g.abs().max() > 0 for g in grads)


# ---------------------------------------------------------------- ViTDet's parameter count
def conv(cin, cout, k, bias=True):
    """Parameters of a k x k convolution (detectron2 drops the bias before a norm)."""
    return cin * cout * k * k + (cout if bias else 0)


def linear(cin, cout):
    return cin * cout + cout


def detectron2_vitdet_b_parameters():
    """Parameters of detectron2's mask_rcnn_vitdet_b (LazyConfig common/models/mask_rcnn_vitdet.py), summed from
    its modules: ViT-B (pos_embed with a class slot, decomposed tables), simple feature pyramid with LN and
    narrowing deconvs, 2-conv RPN, 4conv1fc LN box head, 4-conv LN mask head, 80 classes."""
    C, hd = 768, 64  # width, head width (12 heads)
    block = 2 * C + linear(C, 3 * C) + linear(C, C) + 2 * C + linear(C, 4 * C) + linear(4 * C, C)
    window_tables, global_tables = 2 * (2 * 14 - 1) * hd, 2 * (2 * 64 - 1) * hd
    vit = conv(3, C, 16) + 197 * C + 12 * block + 8 * window_tables + 4 * global_tables
    ln = 2 * 256

    def level(width):  # 1x1 to 256 + LN, 3x3 + LN (no conv bias with a norm)
        return conv(width, 256, 1, False) + ln + conv(256, 256, 3, False) + ln

    sfp = (conv(C, C // 2, 2) + C + conv(C // 2, C // 4, 2) + level(C // 4)  # 4x
           + conv(C, C // 2, 2) + level(C // 2) + level(C) + level(C))  # 2x, 1x, 0.5x
    rpn = 2 * conv(256, 256, 3) + conv(256, 3, 1) + conv(256, 12, 1)
    box = 4 * (conv(256, 256, 3, False) + ln) + linear(256 * 49, 1024) + linear(1024, 81) + linear(1024, 320)
    mask = 4 * (conv(256, 256, 3, False) + ln) + conv(256, 256, 2) + conv(256, 80, 1)
    return vit + sfp + rpn + box + mask, 197 * C - 196 * C


def test_vitdet_config_has_detectron2s_parameter_count():
    from mmengine.config import Config
    from mmengine.registry import init_default_scope
    from mmdet.registry import MODELS
    init_default_scope('mmdet')
    cfg = Config.fromfile(str(REPO / 'configs/vitdet/mask-rcnn_vit-b-mae_sfp_lsj-100e_coco.py'))
    cfg.model.backbone.init_cfg = None
    model = MODELS.build(cfg.model)
    ours = sum(p.numel() for p in model.parameters())
    detectron2, class_slot = detectron2_vitdet_b_parameters()
    # the only difference: detectron2 stores pos_embed with the (unused) class-token slot
    assert ours == detectron2 - class_slot == 110_895_024
    assert sum(p.numel() for p in model.neck.parameters()) == 5_560_000
