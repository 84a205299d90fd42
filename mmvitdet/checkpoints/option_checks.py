"""Backbone options the weights (or a model folder's config) pin down.

The weights show a patch bias, a pre-norm and layer scale; a Hugging Face
``config.json`` (or OpenCLIP's ``open_clip_config.json``) also states the
heads, LayerNorm eps and activation, and the CLIP layout implies the heads
(width / 64). Each must agree with the ViT config, else a CheckpointError
names the option and the value to set. Returns notes for the load report.
"""
from typing import List, Optional

import torch.nn as nn

from .converted import ConvertedCheckpoint
from .errors import CheckpointError

# transformers' hidden_act -> the ViT's act_cfg
HF_ACTS = {
    'gelu': dict(type='GELU'),
    'quick_gelu': dict(type='QuickGELU'),
    'gelu_pytorch_tanh': dict(type='GELU', approximate='tanh'),
    'gelu_new': dict(type='GELU', approximate='tanh'),
}
# transformers' defaults per model_type: save_pretrained leaves a nested
# config's default values out of config.json (CLIPModel's vision_config).
HF_DEFAULTS = {
    'vit': dict(hidden_act='gelu', layer_norm_eps=1e-12),
    'vit_mae': dict(hidden_act='gelu', layer_norm_eps=1e-12),
    'dinov2': dict(hidden_act='gelu', layer_norm_eps=1e-6),
    'dinov2_with_registers': dict(hidden_act='gelu', layer_norm_eps=1e-6),
    'clip_vision_model': dict(hidden_act='quick_gelu', layer_norm_eps=1e-5),
    'siglip_vision_model': dict(hidden_act='gelu_pytorch_tanh',
                                layer_norm_eps=1e-6),
    'sam_vision_model': dict(hidden_act='gelu', layer_norm_eps=1e-6),
    'dinov3_vit': dict(hidden_act='gelu', layer_norm_eps=1e-5, rope_theta=100.),
    'aimv2_vision_model': dict(hidden_act='silu', rms_norm_eps=1e-5),
}


def act_name(act_cfg: dict) -> str:
    """'gelu' | 'gelu_tanh' | 'quick_gelu' | the type, for comparisons."""
    kind = str(act_cfg.get('type', '')).split('.')[-1]
    if kind == 'GELU':
        return 'gelu_tanh' if act_cfg.get('approximate') == 'tanh' else 'gelu'
    return 'quick_gelu' if kind == 'QuickGELU' else kind


def check_patch_bias(ckpt: ConvertedCheckpoint, model: nn.Module) -> None:
    has = 'patch_embed.proj.bias' in ckpt.weights
    model_has = model.patch_embed.proj.bias is not None
    if has != model_has:
        what = ('has a patch-embedding bias (' +
                ckpt.sources['patch_embed.proj.bias'][0] + ')' if has else
                'has no patch-embedding bias (e.g. CLIP)')
        raise CheckpointError(
            f'{ckpt.path}: {what} but the config has patch_bias='
            f'{model_has}: set patch_bias={has} in the backbone config.')


def check_pre_norm(ckpt: ConvertedCheckpoint, model: nn.Module) -> None:
    has = 'norm_pre.weight' in ckpt.weights
    model_has = model.norm_pre is not None
    if has != model_has:
        what = (f'has a pre-norm ({ckpt.sources["norm_pre.weight"][0]}, '
                'a LayerNorm before the first block)' if has else
                'has no pre-norm (no ln_pre / pre_layrnorm / norm_pre)')
        raise CheckpointError(
            f'{ckpt.path}: {what} but the config has pre_norm={model_has}: '
            f'set pre_norm={has} in the backbone config.')


def vision_config(config: dict) -> dict:
    """The image tower's part of a model folder config."""
    if 'vision_config' in config:  # CLIPModel / SiglipModel
        vision = dict(config['vision_config'] or {})
        kind = vision.get('model_type') or config.get('model_type', '') + \
            '_vision_model'
        return {**HF_DEFAULTS.get(kind, {}), **vision}
    if 'model_cfg' in config:  # OpenCLIP
        model_cfg = config['model_cfg']
        vision = dict(model_cfg.get('vision_cfg', {}))
        if 'quick_gelu' in model_cfg:
            vision['hidden_act'] = ('quick_gelu' if model_cfg['quick_gelu']
                                    else 'gelu')
        if 'width' in vision and 'head_width' in vision:
            vision['num_attention_heads'] = (vision['width'] //
                                             vision['head_width'])
        return vision
    return {**HF_DEFAULTS.get(config.get('model_type'), {}), **config}


def eps_differs(eps, model_eps: float) -> bool:
    """A norm eps read from a release or folder config is not the backbone's (0.1% tolerance: float text)."""
    return abs(float(eps) - model_eps) > 1e-3 * float(eps)


MAX_HEADS = 256  # no released ViT has more (ViT-22B: 48); a larger number means a corrupt config


def sane_heads(path: str, heads, width: int, source: str) -> int:
    """``heads`` read from a file, or a CheckpointError (no advice to copy a value that cannot be right)."""
    try:
        value = int(heads)
    except (TypeError, ValueError):
        value = -1
    if not 1 <= value <= MAX_HEADS or width % value:
        raise CheckpointError(
            f'{path}: {source} cannot be right for width {width} (a head count must divide the width and lie in '
            f'1..{MAX_HEADS}): the folder config is corrupt or not this model\'s; get the folder again from its '
            'release, or remove its config.json to load the weights without it')
    return value


def _check_heads(ckpt, model, heads: Optional[int], source: str) -> None:
    if heads is not None:
        heads = sane_heads(ckpt.path, heads, model.embed_dims, source)
    if heads is not None and int(heads) != model.num_heads:
        raise CheckpointError(
            f'{ckpt.path}: {source} gives {heads} attention heads but the '
            f'model has num_heads={model.num_heads}: set num_heads={heads} '
            'in the backbone arch.')


def check_config_file(ckpt: ConvertedCheckpoint, model: nn.Module) -> List[str]:
    """Heads from the layout, and heads / eps / activation from config.json."""
    notes = []
    if 'num_heads' in ckpt.meta:
        heads, source = ckpt.meta['num_heads']
        _check_heads(ckpt, model, heads, source)
        notes.append(f'heads: {heads} ({source}) match the config')
    config = ckpt.meta.get('hf_config')
    if not isinstance(config, dict):
        return notes
    vision = vision_config(config)
    checked = []
    heads = vision.get('num_attention_heads')
    if heads is not None:
        _check_heads(ckpt, model, heads, 'the folder config '
                     f'num_attention_heads={heads}')
        checked.append(f'num_attention_heads={heads}')
    eps_key = 'rms_norm_eps' if 'rms_norm_eps' in vision else 'layer_norm_eps'
    eps = vision.get(eps_key)
    model_eps = model.blocks[0].norm1.eps
    if eps is not None:
        if eps_differs(eps, model_eps):
            raise CheckpointError(
                f'{ckpt.path}: the folder config has {eps_key}={eps} '
                f'but the backbone has norm_eps={model_eps:g}: set '
                f'norm_eps={eps} in the backbone config.')
        checked.append(f'{eps_key}={eps}')
    act = vision.get('hidden_act')
    if act is not None and model.ffn_type == 'swiglu':
        if act != 'silu':
            raise CheckpointError(
                f'{ckpt.path}: the folder config has hidden_act={act!r} but the backbone has '
                "ffn_type='swiglu' (SiLU-gated): set ffn_type='mlp' and act_cfg for that activation.")
        checked.append('hidden_act=silu (SwiGLU)')
    elif act is not None:
        if act not in HF_ACTS:
            raise CheckpointError(
                f'{ckpt.path}: the folder config has hidden_act={act!r}, '
                f'which the ViT has no activation for (known: '
                f'{sorted(HF_ACTS)}).')
        if act_name(HF_ACTS[act]) != act_name(model.act_cfg):
            raise CheckpointError(
                f'{ckpt.path}: the folder config has hidden_act={act!r} but '
                f'the backbone has act_cfg={model.act_cfg}: set act_cfg='
                f'{HF_ACTS[act]} in the backbone config.')
        checked.append(f'hidden_act={act}')
    if checked:
        notes.append('folder config checked against the backbone: ' +
                     ', '.join(checked))
    return notes


def check_options(ckpt: ConvertedCheckpoint, model: nn.Module) -> List[str]:
    """All checks of this module; returns notes for the load report."""
    check_patch_bias(ckpt, model)
    check_pre_norm(ckpt, model)
    return check_config_file(ckpt, model)
