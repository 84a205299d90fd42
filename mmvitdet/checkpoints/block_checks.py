"""Block options the weights of the 2025-26 releases pin down.

FFN kind and width (SwiGLU ``mlp.w1/w2/w3`` vs MLP ``mlp.fc1/fc2``), SwiGLU's
sub-norm, FFN and attention-projection biases, RMSNorm vs LayerNorm (an
RMSNorm has no bias), the patch norm, the RoPE a release was trained with
(``meta['rope']``, and DINOv3's stored ``periods``) and a release's LayerNorm
eps (``meta['norm_eps']``): each must agree with the ViT config, else a
CheckpointError names the option and the value to set. Returns report notes.
"""
from typing import List

import torch
import torch.nn as nn

from .converted import ConvertedCheckpoint
from .errors import CheckpointError
from .option_checks import eps_differs

ROPE_FACTS = ('base', 'coords', 'offset', 'axis_order', 'rotation')
FFN_FIRST = {'swiglu': 'blocks.0.mlp.w1.weight', 'mlp': 'blocks.0.mlp.fc1.weight'}


def file_ffn(ckpt: ConvertedCheckpoint):
    """('swiglu' | 'mlp', its first projection's key) as the weights show it, or (None, None)."""
    return next(((kind, key) for kind, key in FFN_FIRST.items() if key in ckpt.weights), (None, None))


def file_norm_type(ckpt: ConvertedCheckpoint):
    """'layer_norm' | 'rms_norm' as the release states it or the weights show it (an RMSNorm has no bias)."""
    if ckpt.meta.get('norm_type') is not None or 'blocks.0.norm1.weight' not in ckpt.weights:
        return ckpt.meta.get('norm_type')
    return 'layer_norm' if 'blocks.0.norm1.bias' in ckpt.weights else 'rms_norm'


def release_rope(ckpt: ConvertedCheckpoint):
    """The RoPE a release was trained with (a folder config's rope_theta wins over the layout's base)."""
    rope = ckpt.meta.get('rope')
    if rope is None:
        return None
    theta = (ckpt.meta.get('hf_config') or {}).get('rope_theta')
    return dict(rope, **({} if theta is None else dict(base=float(theta))))


def _who(ckpt: ConvertedCheckpoint) -> str:
    release = ckpt.meta.get('release')
    return f'{ckpt.path} ({release}, {ckpt.format} layout)' if release else f'{ckpt.path} ({ckpt.format} layout)'


def check_ffn(ckpt: ConvertedCheckpoint, model: nn.Module) -> None:
    w, blk = ckpt.weights, model.blocks[0].mlp
    kind, first = file_ffn(ckpt)
    if kind is None:
        return
    hidden = int(w[first].shape[0])
    if kind != model.ffn_type:
        what = ('a SwiGLU FFN (w3(silu(w1 x) * w2 x))' if kind == 'swiglu' else 'a GELU-style MLP (fc1, fc2)')
        raise CheckpointError(
            f'{_who(ckpt)}: has {what} ({ckpt.source_of(first)}) but the config has ffn_type={model.ffn_type!r}: set '
            f"ffn_type={kind!r} and arch feedforward_channels={hidden} in the backbone config.")
    if hidden != blk.hidden_dims:
        raise CheckpointError(
            f'{_who(ckpt)}: FFN width is {hidden} ({ckpt.source_of(first)}) but the model has {blk.hidden_dims}: set '
            f'feedforward_channels={hidden} in the backbone arch.')
    bias_key = first[:-len('weight')] + 'bias'
    has_bias, model_bias = bias_key in w, (blk.w1 if kind == 'swiglu' else blk.fc1).bias is not None
    if has_bias != model_bias:
        raise CheckpointError(
            f'{_who(ckpt)}: its FFN has {"biases (" + ckpt.source_of(bias_key) + ")" if has_bias else "no biases"} '
            f'but the config has ffn_bias={model_bias}: set ffn_bias={has_bias}.')
    if kind == 'swiglu':
        has_norm, model_norm = 'blocks.0.mlp.norm.weight' in w, blk.norm is not None
        if has_norm != model_norm:
            what = f'a sub-norm inside its SwiGLU ({ckpt.source_of("blocks.0.mlp.norm.weight")})' if has_norm \
                else 'no sub-norm inside its SwiGLU'
            raise CheckpointError(f'{_who(ckpt)}: has {what} but the config has ffn_sub_norm={model_norm}: set '
                                  f'ffn_sub_norm={has_norm}.')


def check_proj_bias(ckpt: ConvertedCheckpoint, model: nn.Module) -> None:
    if 'blocks.0.attn.proj.weight' not in ckpt.weights:
        return
    has, model_has = 'blocks.0.attn.proj.bias' in ckpt.weights, model.blocks[0].attn.proj.bias is not None
    if has != model_has:
        raise CheckpointError(
            f'{_who(ckpt)}: its attention output projection has {"a" if has else "no"} bias but the config has '
            f'proj_bias={model_has}: set proj_bias={has}.')


def check_norms(ckpt: ConvertedCheckpoint, model: nn.Module) -> List[str]:
    w = ckpt.weights
    kind = file_norm_type(ckpt)
    if kind is not None and kind != model.norm_type:
        what = 'RMSNorm (weights without bias)' if kind == 'rms_norm' else 'LayerNorm'
        raise CheckpointError(
            f'{_who(ckpt)}: its norms are {what} ({ckpt.source_of("blocks.0.norm1.weight")}) but the config has '
            f'norm_type={model.norm_type!r}: set norm_type={kind!r}.')
    has, model_has = 'patch_norm.weight' in w, model.patch_norm is not None
    if has != model_has:
        what = f'a norm after the patch embedding ({ckpt.source_of("patch_norm.weight")})' if has \
            else 'no norm after the patch embedding'
        raise CheckpointError(f'{_who(ckpt)}: has {what} but the config has patch_norm={model_has}: set '
                              f'patch_norm={has}.')
    eps = ckpt.meta.get('norm_eps')
    model_eps = model.blocks[0].norm1.eps
    if eps is not None and eps_differs(eps, model_eps):
        raise CheckpointError(f'{_who(ckpt)}: the release uses norm eps {eps:g} but the config has '
                              f'norm_eps={model_eps:g}: set norm_eps={eps:g}.')
    return [f'norms: {kind or model.norm_type}, eps {model_eps:g}']


def _suggest(rope: dict) -> str:
    return 'dict(' + ', '.join(f'{k}={rope[k]!r}' for k in ROPE_FACTS) + ')'


def check_rope(ckpt: ConvertedCheckpoint, model: nn.Module) -> List[str]:
    release = release_rope(ckpt)
    model_rope = model.rope_cfg
    if release is None and model_rope is None:
        return []
    if release is None:
        raise CheckpointError(
            f'{_who(ckpt)}: was pre-trained without RoPE but the config has rope={model_rope}: set rope=None '
            '(a rotary embedding the weights never saw would change every attention map).')
    if model_rope is None:
        raise CheckpointError(
            f'{_who(ckpt)}: was pre-trained with a 2-D RoPE but the config has rope=None: set '
            f'rope={_suggest(release)} in the backbone config.')
    wrong = [k for k in ROPE_FACTS if (float(release[k]) != float(model_rope[k]) if k in ('base', 'offset')
                                       else release[k] != model_rope[k])]
    if wrong:
        raise CheckpointError(
            f'{_who(ckpt)}: its RoPE has ' + ', '.join(f'{k}={release[k]!r}' for k in wrong) +
            ' but the config has ' + ', '.join(f'{k}={model_rope[k]!r}' for k in wrong) +
            f': set rope={_suggest(release)} (window_coords stays yours).')
    stored = ckpt.weights.get('rope.periods')
    if stored is not None:
        from ..models.layers.rope import rope_periods  # (models import us)
        expected = rope_periods(model.rope.head_dims, model_rope['base'], model_rope['coords'])
        if stored.shape != expected.shape or not torch.allclose(stored.float(), expected, rtol=1e-2):
            raise CheckpointError(
                f'{_who(ckpt)}: {ckpt.source_of("rope.periods")} {list(stored.shape)} does not match RoPE base '
                f'{model_rope["base"]:g} with head width {model.rope.head_dims} (expected {expected[:3].tolist()}...): '
                'check num_heads and rope base against the release.')
        return [f'RoPE: periods as stored in the file; {_suggest(release)} matches the config']
    return [f'RoPE: {_suggest(release)} matches the config; periods computed from base {release["base"]:g} '
            '(the release stores none)']


def check_blocks(ckpt: ConvertedCheckpoint, model: nn.Module) -> List[str]:
    """All checks of this module; returns notes for the load report."""
    check_ffn(ckpt, model)
    check_proj_bias(ckpt, model)
    notes = check_norms(ckpt, model)
    return notes + check_rope(ckpt, model)
