"""Tiny references from timm and transformers, and the release layouts written from them.

The references are the libraries' own models; every layout below is written by hand from their state dicts (the
renames each function names). Detection has no class token, so the references run without one: timm's
VisionTransformer with ``class_token=False``; transformers' encoders on the patch tokens alone (the class token,
registers and pooling heads the files carry are what the converters must drop).
"""
import functools
import importlib.util
import json
import os

import pytest
import torch
import torch.nn as nn

from checkpoint_layouts import DEPTH, HEADS, C, randomize

timm_vit = pytest.importorskip('timm.models.vision_transformer', reason='timm is a test requirement '
                               '(requirements-test.txt)')
transformers = pytest.importorskip('transformers', reason='transformers is a test requirement '
                                   '(requirements-test.txt)')
IMG = 224


def _tool(path: str):
    spec = importlib.util.spec_from_file_location(os.path.basename(path)[:-3], path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# A TorchScript archive holding a state dict as parameters, as OpenAI's CLIP .pt files do (the checkpoint-read
# benchmark writes its TorchScript file with the same function).
save_torchscript = _tool(os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), 'tools',
                                      'analysis', 'benchmark_checkpoint_read.py')).save_torchscript


def timm_reference(patch: int = 16, eps: float = 1e-6, act: str = 'gelu', layer_scale: bool = False,
                   pre_norm: bool = False, heads: int = HEADS, seed: int = 0):
    """timm VisionTransformer without class token (pre_norm also drops the patch bias, as in timm's CLIP)."""
    model = timm_vit.VisionTransformer(
        img_size=IMG, patch_size=patch, embed_dim=C, depth=DEPTH, num_heads=heads, mlp_ratio=4,
        class_token=False, global_pool='avg', num_classes=0, pre_norm=pre_norm, act_layer=act,
        init_values=1e-5 if layer_scale else None,
        norm_layer=functools.partial(nn.LayerNorm, eps=eps))
    randomize(model, seed)
    return model.eval()


def timm_features(model, x):
    with torch.no_grad():
        return model.forward_intermediates(x, indices=DEPTH, norm=False, output_fmt='NCHW',
                                           intermediates_only=True)


def extra_tokens(n: int, seed: int = 5) -> torch.Tensor:
    return torch.randn(1, n, C, generator=torch.Generator().manual_seed(seed))


def with_slots(pos: torch.Tensor, n: int) -> torch.Tensor:
    """pos_embed [1, N, C] with ``n`` leading class/register slots."""
    return torch.cat([extra_tokens(n, seed=6), pos], dim=1)


# ----------------------------------------------------------------- layouts from a timm reference
def dinov2_hub_state(ref, registers: int = 0) -> dict:
    """facebookresearch/dinov2 hub file: cls_token, pos_embed with a class slot, mask_token [1, C],
    register_tokens [1, R, C] (reg4 models), ls1/ls2.gamma, norm. timm's block names are DINOv2's own."""
    state = {k: v for k, v in ref.state_dict().items() if not k.startswith('fc_norm.')}
    state['pos_embed'] = with_slots(state['pos_embed'], 1)
    state['cls_token'] = extra_tokens(1)
    state['mask_token'] = torch.zeros(1, C)
    if registers:
        state['register_tokens'] = extra_tokens(registers, seed=7)
    state['norm.weight'], state['norm.bias'] = torch.ones(C), torch.zeros(C)
    return state


def dino_backbone(ref) -> dict:
    """DINO's ViT backbone (timm names): cls_token, pos_embed with a class slot, norm."""
    state = {k: v for k, v in ref.state_dict().items() if not k.startswith('fc_norm.')}
    state['pos_embed'] = with_slots(state['pos_embed'], 1)
    state['cls_token'] = extra_tokens(1)
    state['norm.weight'], state['norm.bias'] = torch.ones(C), torch.zeros(C)
    return state


def dino_full_checkpoint(ref) -> dict:
    """facebookresearch/dino training checkpoint: teacher backbone.* + head.*, DDP student module.*."""
    backbone = dino_backbone(ref)
    head = {'head.mlp.0.weight': torch.randn(32, C), 'head.last_layer.weight_g': torch.ones(16, 1),
            'head.last_layer.weight_v': torch.randn(16, 32)}
    teacher = {**{'backbone.' + k: v for k, v in backbone.items()}, **head}
    student = {'module.' + k: torch.randn_like(v) for k, v in teacher.items()}
    return {'student': student, 'teacher': teacher, 'epoch': 100, 'optimizer': {'state': {}}}


OPENAI_BLOCK = (('norm1.', 'ln_1.'), ('attn.qkv.weight', 'attn.in_proj_weight'),
                ('attn.qkv.bias', 'attn.in_proj_bias'), ('attn.proj.', 'attn.out_proj.'), ('norm2.', 'ln_2.'),
                ('mlp.fc1.', 'mlp.c_fc.'), ('mlp.fc2.', 'mlp.c_proj.'))


def openai_clip_state(ref, text_tower: bool = True, image_tower: bool = True) -> dict:
    """OpenAI / OpenCLIP CLIP layout from a pre-norm, bias-free-patch timm reference."""
    out = {}
    if image_tower:
        v = 'visual.'
        src = ref.state_dict()
        out[v + 'conv1.weight'] = src['patch_embed.proj.weight']
        out[v + 'class_embedding'] = extra_tokens(1)[0, 0]
        out[v + 'positional_embedding'] = with_slots(src['pos_embed'], 1)[0]  # no batch dimension
        out[v + 'ln_pre.weight'], out[v + 'ln_pre.bias'] = src['norm_pre.weight'], src['norm_pre.bias']
        for key, value in src.items():
            if not key.startswith('blocks.'):
                continue
            _, i, part = key.split('.', 2)
            for ours, theirs in OPENAI_BLOCK:
                if part.startswith(ours):
                    part = theirs + part[len(ours):]
            out[f'{v}transformer.resblocks.{i}.{part}'] = value
        out[v + 'ln_post.weight'], out[v + 'ln_post.bias'] = torch.ones(C), torch.zeros(C)
        out[v + 'proj'] = torch.randn(C, 32)
    if text_tower:
        out.update({'positional_embedding': torch.randn(77, 32), 'token_embedding.weight': torch.randn(100, 32),
                    'transformer.resblocks.0.attn.in_proj_weight': torch.randn(96, 32),
                    'transformer.resblocks.0.ln_1.weight': torch.ones(32), 'ln_final.weight': torch.ones(32),
                    'text_projection': torch.randn(32, 32), 'logit_scale': torch.tensor(4.6)})
    return out


# ----------------------------------------------------------------- transformers references
HF_TINY = dict(hidden_size=C, num_hidden_layers=DEPTH, num_attention_heads=HEADS, image_size=IMG)


def hf_model(kind: str, seed: int = 0):
    """A tiny transformers model of ``kind`` with non-trivial weights."""
    t = transformers
    text = dict(hidden_size=32, intermediate_size=64, num_hidden_layers=1, num_attention_heads=2,
                vocab_size=100, max_position_embeddings=16)
    builders = {
        'vit': lambda: t.ViTModel(t.ViTConfig(**HF_TINY, intermediate_size=4 * C, patch_size=16)),
        'vit_mae': lambda: t.ViTMAEModel(t.ViTMAEConfig(**HF_TINY, intermediate_size=4 * C, patch_size=16)),
        'vit_mae_pretraining': lambda: t.ViTMAEForPreTraining(t.ViTMAEConfig(
            **HF_TINY, intermediate_size=4 * C, patch_size=16, decoder_hidden_size=32, decoder_num_hidden_layers=1,
            decoder_num_attention_heads=2, decoder_intermediate_size=64)),
        'dinov2': lambda: t.Dinov2Model(t.Dinov2Config(**HF_TINY, mlp_ratio=4, patch_size=14)),
        'dinov2_reg': lambda: t.Dinov2WithRegistersModel(t.Dinov2WithRegistersConfig(
            **HF_TINY, mlp_ratio=4, patch_size=14, num_register_tokens=4)),
        'clip_vision': lambda: t.CLIPVisionModel(t.CLIPVisionConfig(**HF_TINY, intermediate_size=4 * C,
                                                                    patch_size=16)),
        'clip': lambda: t.CLIPModel(t.CLIPConfig(
            vision_config=dict(**HF_TINY, intermediate_size=4 * C, patch_size=16), text_config=text,
            projection_dim=16)),
        'siglip_vision': lambda: t.SiglipVisionModel(t.SiglipVisionConfig(**HF_TINY, intermediate_size=4 * C,
                                                                          patch_size=16)),
        'siglip': lambda: t.SiglipModel(t.SiglipConfig(
            vision_config=dict(**HF_TINY, intermediate_size=4 * C, patch_size=16), text_config=text)),
        'clip_text': lambda: t.CLIPTextModel(t.CLIPTextConfig(**text)),
    }
    model = builders[kind]()
    randomize(model, seed)
    return model.eval()


def save_hf_folder(model, folder) -> str:
    """save_pretrained: a real model folder (config.json + model.safetensors)."""
    model.save_pretrained(str(folder))
    assert os.path.isfile(os.path.join(folder, 'config.json'))
    return str(folder)


def hf_config(folder) -> dict:
    with open(os.path.join(folder, 'config.json')) as f:
        return json.load(f)


def _grid(tokens: torch.Tensor, patch: int):
    """[B, N, C] -> [B, C, H, W] for the square IMG input."""
    side = IMG // patch
    return tokens.transpose(1, 2).reshape(tokens.shape[0], C, side, side)


def hf_features(kind: str, model, x: torch.Tensor):
    """Block outputs of the transformers encoder run on the patch tokens only (no class/register token)."""
    if kind == 'vit_mae_pretraining':  # the encoder under 'vit.'
        kind, model = 'vit_mae', model.vit
    with torch.no_grad():
        if kind in ('vit', 'vit_mae', 'dinov2', 'dinov2_reg'):
            emb = model.embeddings
            patch = emb.patch_embeddings.projection.kernel_size[0]
            tokens = emb.patch_embeddings(x) + emb.position_embeddings[:, 1:]
            states = model.encoder(tokens, output_hidden_states=True).hidden_states
        else:
            vision = model.vision_model if hasattr(model, 'vision_model') else model
            emb = vision.embeddings
            patch = emb.patch_embedding.kernel_size[0]
            if kind.startswith('clip'):
                tokens = emb.patch_embedding(x).flatten(2).transpose(1, 2)
                tokens = vision.pre_layrnorm(tokens + emb.position_embedding.weight[1:])
            else:  # SigLIP: no class token, no pre-norm
                tokens = emb(x)
            states = vision.encoder(inputs_embeds=tokens, output_hidden_states=True).hidden_states
    return [_grid(s, patch) for s in states[1:]]
