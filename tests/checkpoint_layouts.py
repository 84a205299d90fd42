"""Small ViTs saved in each official checkpoint layout, for the checkpoint tests.

Nothing is downloaded: a small mmpretrain model provides random weights and
reference features; the official layouts are written here by renaming its keys
by hand (each function names the layout it reproduces).
"""
import torch
from mmpretrain.models import BEiTViT, VisionTransformer

from mmvitdet.models import ViT

C, DEPTH, HEADS = 64, 4, 4
TINY = dict(embed_dims=C, num_layers=DEPTH, num_heads=HEADS, mlp_ratio=4)
TINY_MMPRETRAIN = dict(embed_dims=C, num_layers=DEPTH, num_heads=HEADS,
                       feedforward_channels=4 * C)
GRID = 14  # 224 / 16: pre-training grid of every layout below
BEIT_ROWS = (2 * GRID - 1)**2 + 3
TOKEN_TO_CLS_ROW = BEIT_ROWS - 2  # BEiT row order: ..., cls->tok, tok->cls, cls->cls


def randomize(module: torch.nn.Module, seed: int = 0) -> None:
    """Non-trivial values everywhere (zero/one inits hide mapping bugs)."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in module.named_parameters():
            norm_weight = ('ln' in name or 'norm' in name) and name.endswith(
                'weight')
            p.copy_(torch.randn(p.shape, generator=g) * 0.1 +
                    float(norm_weight))


def mask_cls_key(table: torch.Tensor) -> None:
    """Make patch queries ignore the cls key in a BEiT model (bias -1e4).

    mmpretrain 1.2's BEiTViT cannot run without a cls token when it has
    relative tables (its index is always built with the cls slot), so the
    reference keeps the token but hides it from the patch tokens: softmax gives
    the cls key exactly zero weight, so patch features are those of a model
    without cls token. The converter drops this row with the other two.
    """
    with torch.no_grad():
        table[TOKEN_TO_CLS_ROW] = -1e4


def reference_vit(layer_scale: bool = False, seed: int = 0):
    """mmpretrain VisionTransformer without cls token: featmaps of all blocks."""
    ref = VisionTransformer(
        arch=TINY_MMPRETRAIN, img_size=224, patch_size=16,
        out_indices=tuple(range(DEPTH)), with_cls_token=False,
        out_type='featmap', final_norm=False,
        layer_scale_init_value=0.1 if layer_scale else 0.)
    randomize(ref, seed)
    ref.eval()  # mmpretrain's train() returns None: no chaining
    return ref


def reference_beit(shared: bool, seed: int = 0):
    """mmpretrain BEiTViT (q/v biases, layer scale, relative tables, no abs)."""
    ref = BEiTViT(
        arch=TINY_MMPRETRAIN, img_size=224, patch_size=16,
        out_indices=tuple(range(DEPTH)), with_cls_token=True,
        use_abs_pos_emb=False, use_rel_pos_bias=not shared,
        use_shared_rel_pos_bias=shared, layer_scale_init_value=0.1,
        out_type='featmap', final_norm=False)
    randomize(ref, seed)
    tables = ([ref.rel_pos_bias.relative_position_bias_table] if shared else
              [layer.attn.relative_position_bias_table for layer in ref.layers])
    for table in tables:
        mask_cls_key(table)
    ref.eval()
    return ref


def our_vit(**kwargs) -> ViT:
    """The detection ViT at the pre-training resolution: one 14x14 window
    covers the whole grid, so window blocks attend like global ones."""
    cfg = dict(arch=TINY, img_size=224, pretrain_img_size=224, window_size=14,
               global_attn_indices=(1, 3), out_indices=tuple(range(DEPTH)))
    cfg.update(kwargs)
    return ViT(**cfg).eval()


def features(model, x):
    with torch.no_grad():
        return model(x)


def assert_same_features(ref, ours, seed: int = 1):
    x = torch.randn(2, 3, 224, 224, generator=torch.Generator().manual_seed(
        seed))
    expected, got = features(ref, x), features(ours, x)
    assert len(expected) == len(got) == DEPTH
    for e, g in zip(expected, got):
        assert g.shape == e.shape
        torch.testing.assert_close(g, e, atol=2e-5, rtol=1e-4)


def _block_part(part: str) -> str:
    """mmpretrain block key part -> timm/unilm block key part."""
    for src, dst in (('ln1.', 'norm1.'), ('ln2.', 'norm2.'),
                     ('ffn.layers.0.0.', 'mlp.fc1.'), ('ffn.layers.1.',
                                                       'mlp.fc2.'),
                     ('attn.gamma1.weight', 'gamma_1'),
                     ('ffn.gamma2.weight', 'gamma_2')):
        if part.startswith(src):
            return dst + part[len(src):]
    return part  # attn.qkv.*, attn.proj.*, attn.q_bias, gamma_1, ... as is


def timm_state(ref_state: dict, cls_slot: bool = True, dist: bool = False,
               seed: int = 2) -> dict:
    """timm / DeiT layout from a no-cls mmpretrain ViT state dict.

    timm keys: cls_token [1,1,C], (DeiT distilled: dist_token), pos_embed
    [1, extra+196, C] with the extra slots first (DeiT III: no slot),
    patch_embed.proj.*, blocks.N.{norm1, attn.qkv, attn.proj, norm2,
    mlp.fc1, mlp.fc2, gamma_1/gamma_2}, norm.*, head.* (and head_dist.*).
    """
    g = torch.Generator().manual_seed(seed)
    out = {'cls_token': torch.randn(1, 1, C, generator=g)}
    extra = 1 + int(dist)
    if dist:
        out['dist_token'] = torch.randn(1, 1, C, generator=g)
    pos = ref_state['pos_embed']
    if cls_slot:
        pos = torch.cat([torch.randn(1, extra, C, generator=g), pos], dim=1)
    out['pos_embed'] = pos
    for key, value in ref_state.items():
        if key.startswith('patch_embed.projection.'):
            out['patch_embed.proj.' + key.split('.')[-1]] = value
        elif key.startswith('layers.'):
            _, i, part = key.split('.', 2)
            out[f'blocks.{i}.{_block_part(part)}'] = value
    out['norm.weight'], out['norm.bias'] = torch.ones(C), torch.zeros(C)
    out['head.weight'] = torch.randn(1000, C, generator=g)
    out['head.bias'] = torch.zeros(1000)
    if dist:
        out['head_dist.weight'] = torch.randn(1000, C, generator=g)
        out['head_dist.bias'] = torch.zeros(1000)
    return out


def unilm_beit_state(ref_state: dict, seed: int = 3) -> dict:
    """microsoft/unilm BEiT layout from an mmpretrain BEiTViT state dict.

    cls_token, mask_token, patch_embed.proj.*, rel_pos_bias.{relative_position_
    bias_table [(2*14-1)^2+3, heads], relative_position_index} (shared) or
    blocks.N.attn.{relative_position_bias_table, relative_position_index}
    (per block), blocks.N.{gamma_1, gamma_2, norm1, attn.qkv.weight (no bias),
    attn.q_bias, attn.v_bias, attn.proj, norm2, mlp.fc1, mlp.fc2}, norm.*,
    lm_head.*.
    """
    g = torch.Generator().manual_seed(seed)
    out = {'cls_token': ref_state['cls_token'],
           'mask_token': torch.randn(1, 1, C, generator=g)}
    for key, value in ref_state.items():
        if key.startswith('patch_embed.projection.'):
            out['patch_embed.proj.' + key.split('.')[-1]] = value
        elif key.startswith('rel_pos_bias.'):
            out[key] = value
        elif key.startswith('layers.'):
            _, i, part = key.split('.', 2)
            out[f'blocks.{i}.{_block_part(part)}'] = value
    out['norm.weight'], out['norm.bias'] = torch.ones(C), torch.zeros(C)
    out['lm_head.weight'] = torch.randn(8192, C, generator=g)
    out['lm_head.bias'] = torch.zeros(8192)
    return out
