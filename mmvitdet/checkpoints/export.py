"""Write an official checkpoint as an mmvitdet-format file (the converter CLI).

The file holds the ViT's state dict after conversion and position
standardization for one backbone config, minus the tensors the paper
initializes anew at load (zero relative tables for non-BEiT inits, the random
abs embedding for BEiT): loading the file re-applies that rule, so a converted
file and the original release give the same model. ``meta['mmvitdet']`` keeps
the source, the config, the grids and the load report.
"""
import io
import math
import os
import os.path as osp
from typing import Iterable, Mapping, Optional

import torch

from ..engine.atomic_local_backend import atomic_write_bytes
from ..models.backbones.vit import ARCH_SETTINGS, ViT
from .block_checks import file_ffn, file_norm_type, release_rope
from .converted import ConvertedCheckpoint
from .errors import CheckpointError
from .load import read_checkpoint
from .option_checks import HF_ACTS, sane_heads, vision_config
from .report import LoadReport
from .standardize import _block_ids, rel_targets, standardize

FORMAT_VERSION = 1
RELEASE_FACTS = ('rope', 'norm_type', 'norm_eps', 'release', 'num_heads')


def _plain(obj):
    """Plain dicts/lists (a ConfigDict would need full unpickling to read)."""
    if isinstance(obj, Mapping):
        return {str(k): _plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(_plain(v) for v in obj)
    return obj


def _known_heads(ckpt: ConvertedCheckpoint):
    """Head count the layout or the folder config states, else None."""
    if 'num_heads' in ckpt.meta:
        return int(ckpt.meta['num_heads'][0])
    table = ckpt.weights.get('blocks.0.attn.rel_pos.rel_pos_h')  # decomposed: [offsets, head width]
    pe = ckpt.weights.get('patch_embed.proj.weight')
    if table is not None and pe is not None:
        return int(pe.shape[0]) // int(table.shape[1])
    heads = vision_config(ckpt.meta.get('hf_config') or {}).get(
        'num_attention_heads')
    if heads is None or pe is None:
        return None if heads is None else int(heads)
    return sane_heads(ckpt.path, heads, int(pe.shape[0]), f'the folder config num_attention_heads={heads}')


def _from_folder_config(ckpt: ConvertedCheckpoint) -> dict:
    """norm_eps and act_cfg a model folder's config states."""
    vision = vision_config(ckpt.meta.get('hf_config') or {})
    cfg = {}
    eps = vision.get('rms_norm_eps', vision.get('layer_norm_eps'))
    if eps is not None:
        cfg['norm_eps'] = float(eps)
    if vision.get('hidden_act') in HF_ACTS:
        cfg['act_cfg'] = dict(HF_ACTS[vision['hidden_act']])
    return cfg


def vit_cfg_for(ckpt: ConvertedCheckpoint, arch: str = 'auto',
                **overrides) -> dict:
    """ViT kwargs that fit ``ckpt``; ``overrides`` win.

    From the weights: arch ('auto': a named arch from width/depth, else a
    dict when the heads are known), layer scale, qkv-bias style, patch size
    and bias, pre-norm, and the pre-training size (square abs grid x patch).
    From a model folder's config.json: norm_eps and act_cfg.
    """
    w = ckpt.weights
    pe = w.get('patch_embed.proj.weight')
    if pe is None:
        raise CheckpointError(f'{ckpt.path}: no patch embedding; not a ViT.')
    width, depth = pe.shape[0], len(_block_ids(w))
    heads = _known_heads(ckpt)
    if arch == 'auto':
        arch = next((name for name, s in ARCH_SETTINGS.items()
                     if s['embed_dims'] == width and s['num_layers'] == depth
                     and heads in (None, s['num_heads'])), None)
        fc1 = w.get('blocks.0.mlp.fc1.weight')
        swiglu = w.get('blocks.0.mlp.w1.weight')
        if arch is not None and fc1 is not None and fc1.shape[0] != width * ARCH_SETTINGS[arch]['mlp_ratio']:
            arch = None
        if swiglu is not None and heads is not None:  # a SwiGLU width is no ratio of the width
            arch = dict(embed_dims=int(width), num_layers=depth, num_heads=heads,
                        feedforward_channels=int(swiglu.shape[0]))
        elif arch is None and heads is not None and fc1 is not None:
            arch = dict(embed_dims=int(width), num_layers=depth, num_heads=heads, mlp_ratio=fc1.shape[0] / width)
        if arch is None:
            raise CheckpointError(
                f'{ckpt.path}: width {width} and depth {depth} match none of '
                f'{sorted(ARCH_SETTINGS)}: pass --arch or --config.')
    qkv_bias = ('qv' if any(k.endswith('attn.q_bias') for k in w) else
                any(k.endswith('attn.qkv.bias') for k in w))
    has_gamma = any(k.endswith('.gamma_1') for k in w)
    patch = pe.shape[-1]
    cfg = dict(arch=arch, patch_size=patch, in_channels=pe.shape[1],
               qkv_bias=qkv_bias,
               # the value is a placeholder: the checkpoint's gammas replace it
               layer_scale_init_value=0.1 if has_gamma else None,
               patch_bias='patch_embed.proj.bias' in w,
               pre_norm='norm_pre.weight' in w,
               use_rel_pos_bias='shared')  # the paper's; decomposed tables in the file change it below
    pos = w.get('pos_embed')
    side = math.isqrt(pos.shape[1]) if pos is not None else 0
    if side and side * side == pos.shape[1]:
        cfg['pretrain_img_size'] = side * patch
    cfg.update(_block_options(ckpt))
    cfg.update(_decomposed_layout(w, patch))
    cfg.update(_from_folder_config(ckpt))
    cfg.update(overrides)
    return cfg


def _block_options(ckpt: ConvertedCheckpoint) -> dict:
    """FFN, norms, biases and RoPE as the weights and the release show them (block_checks.py)."""
    w = ckpt.weights
    ffn, first = file_ffn(ckpt)
    cfg = dict(ffn_type=ffn or 'mlp', ffn_bias=first is not None and first[:-len('weight')] + 'bias' in w,
               ffn_sub_norm='blocks.0.mlp.norm.weight' in w, proj_bias='blocks.0.attn.proj.bias' in w,
               norm_type=file_norm_type(ckpt) or 'layer_norm', patch_norm='patch_norm.weight' in w,
               use_abs_pos_embed='pos_embed' in w, rope=release_rope(ckpt))
    if ckpt.meta.get('norm_eps') is not None:
        cfg['norm_eps'] = float(ckpt.meta['norm_eps'])
    return cfg


def _decomposed_layout(weights, patch: int) -> dict:
    """Decomposed tables (SAM, ViTDet) show the layout: the longer ones are the global blocks' (2 * grid - 1
    offsets), the shorter ones the windows' (2 * window - 1)."""
    lengths = {int(k.split('.')[1]): v.shape[0] for k, v in weights.items()
               if k.endswith('.attn.rel_pos.rel_pos_h')}
    if not lengths:
        return {}
    longest, shortest = max(lengths.values()), min(lengths.values())
    cfg = dict(use_rel_pos_bias='decomposed', img_size=(longest + 1) // 2 * patch)
    if shortest < longest:
        cfg.update(window_size=(shortest + 1) // 2,
                   global_attn_indices=tuple(sorted(i for i, n in lengths.items() if n == longest)))
    else:
        cfg.update(window_size=0)
    return cfg


def export_mmvitdet(src: str,
                    dst: str,
                    vit_cfg: Optional[dict] = None,
                    format: str = 'auto',
                    rel_pos_resize: str = 'geometric',
                    discard: Iterable[str] = (),
                    force: bool = False,
                    patch_embed_resize: Optional[str] = None) -> LoadReport:
    """Convert ``src`` for the backbone ``vit_cfg`` and write it to ``dst``.

    Args:
        src: official checkpoint (any layout of ``FORMATS``).
        dst: output file; refused if it exists unless ``force``.
        vit_cfg: ViT kwargs; None infers them with :func:`vit_cfg_for`.
            Entries 'arch' may be 'auto'. ``init_cfg``/``type`` are ignored.
        format, rel_pos_resize, discard, patch_embed_resize: as for
            ``load_pretrained`` (the written kernel has the model's patch).

    Returns:
        The load report (also stored in the file's meta).
    """
    if osp.exists(dst) and not force:
        raise FileExistsError(f'{dst} exists: pass --force (force=True) to '
                              'overwrite it.')
    ckpt = read_checkpoint(src, format, discard)
    cfg = {k: v for k, v in (vit_cfg or {}).items()
           if k not in ('type', 'init_cfg')}
    cfg = vit_cfg_for(ckpt, **cfg)
    with torch.device('meta'):  # only the structure is needed
        model = ViT(**cfg)
    state, report = standardize(ckpt, model, rel_pos_resize,
                                patch_embed_resize)
    new_keys = {k for k, _, _ in report.new}
    rel_grids = {}
    for _, module, names in rel_targets(model):
        rel_grids[names[0]] = list(module.grid_size)  # 'window' / 'blocks.3'
    meta = dict(format_version=FORMAT_VERSION, source=osp.abspath(src),
                source_format=ckpt.format, vit=_plain(cfg),
                pretrain_grid=list(model.pretrain_grid_size),
                rel_grids=rel_grids, rel_pos_resize=rel_pos_resize,
                new_at_load=sorted(new_keys), report=report.to_dict(),
                # the release's facts the weights cannot show, checked again when the file is loaded
                **{k: _plain(ckpt.meta[k]) for k in RELEASE_FACTS if k in ckpt.meta})
    out = {'state_dict': {k: v.contiguous() for k, v in state.items()
                          if k not in new_keys},
           'meta': {'mmvitdet': meta}}
    buffer = io.BytesIO()
    torch.save(out, buffer)
    os.makedirs(osp.dirname(osp.abspath(dst)), exist_ok=True)
    atomic_write_bytes(buffer.getvalue(), dst)
    return report
