"""Tiny timm references of the 2025-26 releases and their release layouts written by hand.

References (timm 1.0's own models): DINOv3 and EVA-02 and PE-Core are timm's ``Eva``, AIMv2 timm's
``VisionTransformer`` with RMSNorm and SwiGLU, each built with the options of timm's model of that release
(``vit_base_patch16_dinov3_qkvb``, ``eva02_base_patch14_224``, ``vit_pe_core_base_patch16_224``,
``aimv2_large_patch14_224``) at tiny width and depth, without class / register tokens (the detector has none).
Every layout function renames the reference's keys by hand to the release's names (each docstring names it).
"""
import functools
import json
import os

import pytest
import torch

from checkpoint_layouts import DEPTH, HEADS, C, randomize

eva = pytest.importorskip('timm.models.eva', reason='timm is a test requirement (requirements-test.txt)')
timm_vit = pytest.importorskip('timm.models.vision_transformer', reason='timm is a test requirement')
from timm.layers import LayerNorm, RmsNorm, SwiGLU  # noqa: E402

IMG = 224
AIMV2_HEADS = 2  # AIMv2's heads are 128 wide; at width 64 two 32-wide heads keep head_dim % 4 == 0


def _eva(img=IMG, **kwargs):
    return eva.Eva(img_size=img, embed_dim=C, depth=DEPTH, num_heads=HEADS, class_token=False, num_classes=0,
                   global_pool='avg', dynamic_img_size=img == IMG, **kwargs)


def dinov3_reference(swiglu: bool = False, seed: int = 0, img: int = IMG):
    """timm vit_base_patch16_dinov3_qkvb (H+: swiglu_mlp, align 8) at tiny size."""
    model = _eva(img, patch_size=16, qkv_bias=True, init_values=1e-5, rope_type='dinov3', rope_temperature=100,
                 rope_rotate_half=True, use_rot_pos_emb=True, use_abs_pos_emb=False, use_fc_norm=False,
                 norm_layer=functools.partial(LayerNorm, eps=1e-5), swiglu_mlp=swiglu,
                 swiglu_align_to=8 if swiglu else 0)
    randomize(model, seed)
    return model.eval()


def eva02_reference(seed: int = 0, img: int = IMG):
    """timm eva02_base_patch14_224 at tiny size (ref_feat_shape = its 16x16 grid)."""
    model = _eva(img, patch_size=14, qkv_fused=False, mlp_ratio=4 * 2 / 3, swiglu_mlp=True, scale_mlp=True,
                 use_rot_pos_emb=True, ref_feat_shape=(16, 16))
    randomize(model, seed)
    return model.eval()


def pe_core_reference(seed: int = 0, img: int = IMG):
    """timm vit_pe_core_base_patch16_224 at tiny size (without its attention pool)."""
    model = _eva(img, patch_size=16, mlp_ratio=4.0, attn_type='rope', use_pre_transformer_norm=True,
                 use_rot_pos_emb=True, ref_feat_shape=(14, 14), rope_grid_offset=1., rope_grid_indexing='xy',
                 norm_layer=functools.partial(LayerNorm, eps=1e-5))
    randomize(model, seed)
    return model.eval()


def aimv2_reference(seed: int = 0, img: int = IMG):
    """timm aimv2_large_patch14_224 at tiny size."""
    model = timm_vit.VisionTransformer(
        img_size=img, patch_size=14, embed_dim=C, depth=DEPTH, num_heads=AIMV2_HEADS, class_token=False,
        fc_norm=False, mlp_ratio=2.75, global_pool='avg', qkv_bias=False, proj_bias=False, act_layer='silu',
        norm_layer=functools.partial(RmsNorm, eps=1e-5), embed_norm_layer=functools.partial(RmsNorm, eps=1e-5),
        mlp_layer=SwiGLU, num_classes=0, dynamic_img_size=img == IMG)
    randomize(model, seed)
    return model.eval()


def reference_features(model, x):
    """Block outputs [B, C, h, w] of every block, no final norm."""
    with torch.no_grad():
        return model.forward_intermediates(x, indices=DEPTH, norm=False, output_fmt='NCHW',
                                           intermediates_only=True)


def _tokens(n: int, seed: int) -> torch.Tensor:
    return torch.randn(1, n, C, generator=torch.Generator().manual_seed(seed))


def _blocks(ref):
    """(block index, part, tensor) of the reference's blocks."""
    for key, value in ref.state_dict().items():
        if key.startswith('blocks.'):
            _, i, part = key.split('.', 2)
            yield int(i), part, value


SWIGLU_TO_DINOV3 = {'mlp.fc1_g.': 'mlp.w1.', 'mlp.fc1_x.': 'mlp.w2.', 'mlp.fc2.': 'mlp.w3.', 'mlp.norm.': 'mlp.ffn_ln.'}


def _rename(part: str, table) -> str:
    for old, new in table.items():
        if part.startswith(old):
            return new + part[len(old):]
    return part


def dinov3_hub_state(ref, periods=None) -> dict:
    """facebookresearch/dinov3 hub file: cls_token, storage_tokens, mask_token [1, C], rope_embed.periods,
    attn.qkv.{weight, bias, bias_mask} (a random key third, masked), ls1/ls2.gamma, mlp.fc1/fc2 or w1/w2/w3,
    norm."""
    state = {'cls_token': _tokens(1, 5), 'storage_tokens': _tokens(4, 6), 'mask_token': torch.zeros(1, C),
             'rope_embed.periods': ref.rope.periods.clone() if periods is None else periods}
    src = ref.state_dict()
    state['patch_embed.proj.weight'], state['patch_embed.proj.bias'] = (src['patch_embed.proj.weight'],
                                                                        src['patch_embed.proj.bias'])
    table = {'gamma_1': 'ls1.gamma', 'gamma_2': 'ls2.gamma', 'mlp.fc1_g.': 'mlp.w1.', 'mlp.fc1_x.': 'mlp.w2.',
             'mlp.fc2.': 'mlp.w3.'} if hasattr(ref.blocks[0].mlp, 'fc1_g') else {'gamma_1': 'ls1.gamma',
                                                                                  'gamma_2': 'ls2.gamma'}
    for i, part, value in _blocks(ref):
        if part in ('attn.q_bias', 'attn.v_bias'):
            continue
        state[f'blocks.{i}.{_rename(part, table)}'] = value
    for i, blk in enumerate(ref.blocks):
        junk_k = torch.randn(C, generator=torch.Generator().manual_seed(20 + i))
        state[f'blocks.{i}.attn.qkv.bias'] = torch.cat([blk.attn.q_bias.detach(), junk_k, blk.attn.v_bias.detach()])
        state[f'blocks.{i}.attn.qkv.bias_mask'] = torch.cat([torch.ones(C), torch.zeros(C), torch.ones(C)])
    state['norm.weight'], state['norm.bias'] = torch.ones(C), torch.zeros(C)
    return state


def hf_dinov3_state(ref) -> dict:
    """transformers DINOv3ViTModel: embeddings.{cls_token, mask_token, register_tokens, patch_embeddings},
    layer.N.{norm1, attention.{q,k,v,o}_proj (no k bias), layer_scale1.lambda1, norm2, mlp.{up,down}_proj or
    mlp.{gate,up,down}_proj, layer_scale2.lambda1}, norm."""
    src = ref.state_dict()
    state = {'embeddings.cls_token': _tokens(1, 5), 'embeddings.mask_token': torch.zeros(1, 1, C),
             'embeddings.register_tokens': _tokens(4, 6),
             'embeddings.patch_embeddings.weight': src['patch_embed.proj.weight'],
             'embeddings.patch_embeddings.bias': src['patch_embed.proj.bias'],
             'norm.weight': torch.ones(C), 'norm.bias': torch.zeros(C)}
    gated = hasattr(ref.blocks[0].mlp, 'fc1_g')
    table = {'norm1.': 'norm1.', 'norm2.': 'norm2.', 'attn.proj.': 'attention.o_proj.',
             'gamma_1': 'layer_scale1.lambda1', 'gamma_2': 'layer_scale2.lambda1',
             **({'mlp.fc1_g.': 'mlp.gate_proj.', 'mlp.fc1_x.': 'mlp.up_proj.', 'mlp.fc2.': 'mlp.down_proj.'}
                if gated else {'mlp.fc1.': 'mlp.up_proj.', 'mlp.fc2.': 'mlp.down_proj.'})}
    for i, part, value in _blocks(ref):
        if part == 'attn.qkv.weight':
            for name, chunk in zip('qkv', value.chunk(3)):
                state[f'layer.{i}.attention.{name}_proj.weight'] = chunk
        elif part == 'attn.q_bias':
            state[f'layer.{i}.attention.q_proj.bias'] = value
        elif part == 'attn.v_bias':
            state[f'layer.{i}.attention.v_proj.bias'] = value
        else:
            state[f'layer.{i}.{_rename(part, table)}'] = value
    return state


def dinov3_hf_config(gated: bool = False) -> dict:
    return dict(model_type='dinov3_vit', hidden_size=C, num_hidden_layers=DEPTH, num_attention_heads=HEADS,
                intermediate_size=4 * C, patch_size=16, image_size=IMG, layer_norm_eps=1e-5, rope_theta=100.0,
                hidden_act='silu' if gated else 'gelu', use_gated_mlp=gated, num_register_tokens=4,
                query_bias=True, key_bias=False, value_bias=True, proj_bias=True, mlp_bias=True,
                layerscale_value=1e-5, architectures=['DINOv3ViTModel'])


def eva02_state(ref) -> dict:
    """baaivision/EVA EVA-02 MIM file ({'module': ...}): cls_token, pos_embed with a class slot, mask_token,
    attn.{q,k,v}_proj.weight + q_bias / v_bias, mlp.{w1, w2, ffn_ln, w3}, RoPE tables (model level and per
    block), norm, lm_head."""
    src = ref.state_dict()
    state = {'cls_token': _tokens(1, 5), 'mask_token': torch.zeros(1, 1, C),
             'pos_embed': torch.cat([_tokens(1, 6), src['pos_embed']], dim=1),
             'patch_embed.proj.weight': src['patch_embed.proj.weight'],
             'patch_embed.proj.bias': src['patch_embed.proj.bias'],
             'rope.freqs_cos': torch.randn(256, C // HEADS), 'rope.freqs_sin': torch.randn(256, C // HEADS),
             'norm.weight': torch.ones(C), 'norm.bias': torch.zeros(C),
             'lm_head.weight': torch.randn(32, C), 'lm_head.bias': torch.zeros(32)}
    table = {'attn.q_proj.bias': 'attn.q_bias', 'attn.v_proj.bias': 'attn.v_bias', **SWIGLU_TO_DINOV3}
    for i, part, value in _blocks(ref):
        state[f'blocks.{i}.{_rename(part, table)}'] = value
        state[f'blocks.{i}.attn.rope.freqs_cos'] = state['rope.freqs_cos']
    return {'module': state}


def pe_core_state(ref, image_tower: bool = True, text_tower: bool = True) -> dict:
    """facebookresearch/perception_models PE-Core CLIP file: OpenAI CLIP names under visual. (conv1 without
    bias, class_embedding, positional_embedding [1 + N, C], ln_pre, transformer.resblocks.N.*, ln_post,
    attn_pool.*, proj) and the text tower."""
    out = {}
    if image_tower:
        src, v = ref.state_dict(), 'visual.'
        out[v + 'conv1.weight'] = src['patch_embed.proj.weight']
        out[v + 'class_embedding'] = _tokens(1, 5)[0, 0]
        out[v + 'positional_embedding'] = torch.cat([_tokens(1, 6), src['pos_embed']], dim=1)[0]
        out[v + 'ln_pre.weight'], out[v + 'ln_pre.bias'] = src['norm_pre.weight'], src['norm_pre.bias']
        table = {'norm1.': 'ln_1.', 'attn.qkv.weight': 'attn.in_proj_weight', 'attn.qkv.bias': 'attn.in_proj_bias',
                 'attn.proj.': 'attn.out_proj.', 'norm2.': 'ln_2.', 'mlp.fc1.': 'mlp.c_fc.',
                 'mlp.fc2.': 'mlp.c_proj.'}
        for i, part, value in _blocks(ref):
            out[f'{v}transformer.resblocks.{i}.{_rename(part, table)}'] = value
        out.update({v + 'ln_post.weight': torch.ones(C), v + 'ln_post.bias': torch.zeros(C),
                    v + 'attn_pool.probe': torch.randn(1, 1, C), v + 'attn_pool.attn.in_proj_weight':
                    torch.randn(3 * C, C), v + 'attn_pool.layernorm.weight': torch.ones(C),
                    v + 'proj': torch.randn(C, 32)})
    if text_tower:
        out.update({'positional_embedding': torch.randn(32, 32), 'token_embedding.weight': torch.randn(100, 32),
                    'transformer.resblocks.0.ln_1.weight': torch.ones(32), 'ln_final.weight': torch.ones(32),
                    'text_projection': torch.randn(32, 32), 'logit_scale': torch.tensor(4.6)})
    return out


AIMV2_BLOCK = {'norm1.': 'norm_1.', 'norm2.': 'norm_2.', 'mlp.fc1_g.': 'mlp.fc1.', 'mlp.fc1_x.': 'mlp.fc3.',
               'mlp.fc2.': 'mlp.fc2.'}


def aimv2_state(ref) -> dict:
    """apple/ml-aim AIMv2: preprocessor.patchifier.{proj, norm}, preprocessor.pos_embed,
    trunk.blocks.N.{norm_1, attn.qkv, attn.proj, norm_2, mlp.fc1 (gate), mlp.fc3 (value), mlp.fc2},
    trunk.post_trunk_norm, head."""
    src = ref.state_dict()
    state = {'preprocessor.patchifier.proj.weight': src['patch_embed.proj.weight'],
             'preprocessor.patchifier.proj.bias': src['patch_embed.proj.bias'],
             'preprocessor.patchifier.norm.weight': src['patch_embed.norm.weight'],
             'preprocessor.pos_embed': src['pos_embed'],
             'trunk.post_trunk_norm.weight': torch.ones(C), 'head.fc.weight': torch.randn(8, C)}
    for i, part, value in _blocks(ref):
        state[f'trunk.blocks.{i}.{_rename(part, AIMV2_BLOCK)}'] = value
    return state


def hf_aimv2_state(ref) -> dict:
    """transformers Aimv2VisionModel: embeddings.{patch_embed, rms_norm, position_embedding.weight [N, C]},
    encoder.layers.N.{rms_norm1, attention.{q,k,v,out}_proj, rms_norm2, ffn.{gate,up,down}_proj}, rms_norm,
    head."""
    src = ref.state_dict()
    state = {'embeddings.patch_embed.weight': src['patch_embed.proj.weight'],
             'embeddings.patch_embed.bias': src['patch_embed.proj.bias'],
             'embeddings.rms_norm.weight': src['patch_embed.norm.weight'],
             'embeddings.position_embedding.weight': src['pos_embed'][0],
             'rms_norm.weight': torch.ones(C), 'head.cls_token': torch.zeros(1, 1, C)}
    table = {'norm1.': 'rms_norm1.', 'norm2.': 'rms_norm2.', 'attn.proj.': 'attention.out_proj.',
             'mlp.fc1_g.': 'ffn.gate_proj.', 'mlp.fc1_x.': 'ffn.up_proj.', 'mlp.fc2.': 'ffn.down_proj.'}
    for i, part, value in _blocks(ref):
        if part == 'attn.qkv.weight':
            for name, chunk in zip('qkv', value.chunk(3)):
                state[f'encoder.layers.{i}.attention.{name}_proj.weight'] = chunk
        else:
            state[f'encoder.layers.{i}.{_rename(part, table)}'] = value
    return state


def aimv2_hf_config() -> dict:
    return dict(model_type='aimv2_vision_model', hidden_size=C, num_hidden_layers=DEPTH,
                num_attention_heads=AIMV2_HEADS, intermediate_size=176, patch_size=14, image_size=IMG,
                rms_norm_eps=1e-5, hidden_act='silu', qkv_bias=False, mlp_bias=False, use_head=False,
                architectures=['Aimv2VisionModel'])


def save_folder(state: dict, config: dict, folder) -> str:
    """A model folder: config.json + model.safetensors."""
    from safetensors.torch import save_file
    os.makedirs(folder, exist_ok=True)
    save_file({k: v.contiguous() for k, v in state.items()}, os.path.join(folder, 'model.safetensors'))
    with open(os.path.join(folder, 'config.json'), 'w') as f:
        json.dump(config, f)
    return str(folder)
