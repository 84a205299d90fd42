"""Fit converted weights to a ViT, with the paper's position standardization.

The paper gives every detector both absolute embeddings and relative biases:

- abs: a checkpoint ``pos_embed`` is transferred (class slots already cut) at
  the model's pre-training grid (resized bicubically if the file's grid
  differs; the ViT resizes it to the input grid at every forward). Without one
  (BEiT) it is randomly initialized (trunc-normal, std 0.02).
- rel: checkpoint tables (BEiT) are transferred: the window table and the
  global table are both made from the pre-training table, each resized to its
  grid. Without tables (every other init) they are zero-initialized
  (trunc-normal if the model sets ``rel_pos_zero_init=False``).
- Decomposed tables (SAM; detectron2 ViTDet checkpoints), ``blocks.N.attn.rel_pos.rel_pos_{h,w}``, are
  transferred per block and resized linearly to the model's table length (detectron2's ``get_rel_pos`` rule,
  done once at load); a ``'decomposed'`` model without them zero-initializes them.
- A shared pre-training table goes to every block of a ``per_block`` model
  (BEiT's own fine-tuning rule). Per-block tables into a ``shared`` model are
  refused: any reduction (e.g. a mean) would silently change the pre-trained
  attention, so the error asks for ``use_rel_pos_bias='per_block'``.
- Layer scale, qkv biases, width, depth, heads, patch size and MLP width must
  agree, and so must a patch bias, a pre-norm and what a model folder's
  config.json states (option_checks.py); every disagreement is an error
  naming the file and the fix.
"""
from collections import OrderedDict
from typing import Dict, List, Optional, Tuple

import torch
import torch.nn as nn
from mmpretrain.models.utils import resize_pos_embed

from .converted import REL_SHARED, ConvertedCheckpoint, RelTable
from .errors import CheckpointError
from .file_formats import READER_NOTES
from .block_checks import check_blocks
from .option_checks import check_options
from .patch_embed_resize import resize_checkpoint_patch_embed
from .rel_pos_resize import resize_rel_pos_table
from .report import LoadReport

ARCH_NAMES = {192: 'ViT-Ti', 384: 'ViT-S', 768: 'ViT-B', 1024: 'ViT-L',
              1280: 'ViT-H'}
TABLE = 'relative_position_bias_table'
NEW_ABS = ('the checkpoint has no absolute position embedding (BEiT '
           'pre-trains without): random init, trunc-normal std 0.02, per the '
           'paper')
NEW_REL_ZERO = ('the checkpoint has no relative position tables: zero-init '
                'per the paper (non-BEiT inits)')
NEW_REL_TRUNC = ('the checkpoint has no relative position tables: '
                 'trunc-normal std 0.02 (rel_pos_zero_init=False; the paper '
                 'zero-inits them)')


def _arch_name(width: int) -> str:
    return ARCH_NAMES.get(int(width), f'width {int(width)}')


def _block_ids(keys) -> List[int]:
    return sorted({int(k.split('.')[1]) for k in keys
                   if k.startswith('blocks.') and k.split('.')[1].isdigit()})


def check_architecture(ckpt: ConvertedCheckpoint, model: nn.Module) -> None:
    """Width, patch, channels, depth, MLP width and heads must match."""
    w, path = ckpt.weights, ckpt.path
    pe = w.get('patch_embed.proj.weight')
    if pe is None or pe.dim() != 4:
        raise CheckpointError(
            f'{path}: no patch embedding weight [width, channels, p, p] in the '
            f'{ckpt.format} layout; the ViT cannot start without it. Is this '
            'a complete ViT checkpoint?')
    width, in_ch, ph, pw = pe.shape
    pe_src = f'{ckpt.source_of("patch_embed.proj.weight")} {list(pe.shape)}'
    if width != model.embed_dims:
        raise CheckpointError(
            f'{path}: checkpoint width is {width} ({pe_src}) but the model '
            f'has embed_dims={model.embed_dims}: is this a '
            f'{_arch_name(width)} checkpoint for a '
            f'{_arch_name(model.embed_dims)} config? Use the checkpoint of '
            'the configured size or set the backbone arch to match.')
    if (ph, pw) != (model.patch_size, model.patch_size):
        raise CheckpointError(
            f'{path}: checkpoint patch size is {ph}x{pw} ({pe_src}) but the '
            f'model has patch_size={model.patch_size}: set patch_size={ph}, '
            'or keep it and add patch_embed_resize=\'pinv\' to the '
            'Pretrained init_cfg to resize the kernel at load.')
    if in_ch != model.in_channels:
        raise CheckpointError(
            f'{path}: checkpoint takes {in_ch}-channel images ({pe_src}) but '
            f'the model has in_channels={model.in_channels}: set '
            f'in_channels={in_ch}.')
    ids = _block_ids(w)
    if len(ids) != model.num_layers or ids != list(range(len(ids))):
        depth = ids[-1] + 1 if ids else 0
        raise CheckpointError(
            f'{path}: checkpoint has {depth} transformer blocks but the model '
            f'has num_layers={model.num_layers}: is this a '
            f'{_arch_name(width)} with another depth? Match the backbone arch '
            'to the checkpoint.')
    fc1 = w.get('blocks.0.mlp.fc1.weight')
    hidden = model.blocks[0].mlp.hidden_dims
    if fc1 is not None and model.ffn_type == 'mlp' and fc1.shape[0] != hidden:
        raise CheckpointError(
            f'{path}: checkpoint MLP width is {fc1.shape[0]} '
            f'({ckpt.source_of("blocks.0.mlp.fc1.weight")}) but the model has '
            f'{hidden}: set mlp_ratio={fc1.shape[0] / width:g} in the arch.')
    for key, rel in ckpt.rel_tables.items():
        if rel.table.dim() != 2 or rel.table.shape[1] != model.num_heads:
            raise CheckpointError(
                f'{path}: relative table {rel.src_key} '
                f'{list(rel.src_shape)} has {rel.table.shape[-1]} heads but '
                f'the model has num_heads={model.num_heads}: set num_heads in '
                'the arch to match the checkpoint.')


def check_layer_scale(ckpt: ConvertedCheckpoint, model: nn.Module) -> None:
    gammas = [k for k in ckpt.weights if k.endswith(('.gamma_1', '.gamma_2'))]
    model_has = model.blocks[0].gamma_1 is not None
    if gammas and not model_has:
        raise CheckpointError(
            f'{ckpt.path}: has layer scale ({ckpt.source_of(gammas[0])}) but the '
            'config has layer_scale_init_value=None: set '
            'layer_scale_init_value (e.g. 0.1; the checkpoint values replace '
            'it) so the pre-trained gammas are kept, as the paper does for '
            'BEiT.')
    if model_has and not gammas:
        raise CheckpointError(
            f'{ckpt.path}: has no layer scale (no gamma_1/gamma_2) but the '
            'config sets layer_scale_init_value: set '
            'layer_scale_init_value=None (the paper uses layer scale only '
            'where the checkpoint has it).')


def _qkv_mode(has_qv: bool, has_full: bool):
    return 'qv' if has_qv else bool(has_full)


def check_qkv_bias(ckpt: ConvertedCheckpoint, model: nn.Module) -> None:
    keys = ckpt.weights
    ck = _qkv_mode(any(k.endswith('attn.q_bias') for k in keys),
                   any(k.endswith('attn.qkv.bias') for k in keys))
    attn = model.blocks[0].attn
    md = _qkv_mode(attn.q_bias is not None, attn.qkv.bias is not None)
    if ck != md:
        what = {'qv': 'separate q/v biases (BEiT)', True: 'qkv biases',
                False: 'no qkv biases'}[ck]
        raise CheckpointError(
            f'{ckpt.path}: checkpoint has {what} but the model has '
            f'qkv_bias={md!r}: set qkv_bias={ck!r}.')


def _grid_of(count: int, expected: Tuple[int, int], hint, is_table: bool,
             what: str, path: str) -> Tuple[int, int]:
    """Token grid of a table (rows) or embedding (tokens) of length ``count``."""
    def size(g):
        return (2 * g[0] - 1) * (2 * g[1] - 1) if is_table else g[0] * g[1]

    for grid in (tuple(hint) if hint else None, tuple(expected)):
        if grid and size(grid) == count:
            return grid
    side = int(round(count**0.5))
    if side * side == count and (not is_table or side % 2):
        return ((side + 1) // 2, ) * 2 if is_table else (side, side)
    raise CheckpointError(
        f'{path}: cannot tell the token grid of {what} (length {count}): it '
        'is not square and matches no grid of the model.')


def _new_tensor(like: torch.Tensor, zero: bool) -> torch.Tensor:
    value = torch.zeros_like(like)
    if not zero:
        nn.init.trunc_normal_(value, std=.02)
    return value


def _abs_pos_embed(ckpt, model, target, state, report) -> None:
    pos = ckpt.weights.get('pos_embed')
    if pos is None:
        if model.pos_embed is not None:
            state['pos_embed'] = _new_tensor(target['pos_embed'], zero=False)
            report.new.append(('pos_embed', tuple(model.pos_embed.shape),
                               NEW_ABS))
        return
    src, src_shape, note = ckpt.sources['pos_embed']
    if model.pos_embed is None:
        raise CheckpointError(
            f'{ckpt.path}: has an absolute position embedding ({src}) but the '
            'model has use_abs_pos_embed=False: set use_abs_pos_embed=True '
            f'(the paper gives every model both) or drop it on purpose with '
            f'discard=[{src!r}].')
    dst = tuple(model.pretrain_grid_size)
    grid = _grid_of(pos.shape[1], dst, ckpt.meta.get('pretrain_grid'), False,
                    src, ckpt.path)
    how = [note] if note else []
    if grid != dst:
        pos = resize_pos_embed(pos.float(), grid, dst, mode='bicubic',
                               num_extra_tokens=0).to(pos.dtype)
        how.append(f'{grid[0]}x{grid[1]} -> {dst[0]}x{dst[1]} grid, bicubic')
    state['pos_embed'] = pos
    if tuple(pos.shape) == tuple(src_shape):
        report.loaded.append(('pos_embed', tuple(pos.shape)))
    else:
        report.resized.append(('pos_embed', tuple(src_shape),
                               tuple(pos.shape), '; '.join(how)))


def rel_targets(model: nn.Module) -> List[Tuple[str, nn.Module, List[str]]]:
    """(state key, RelativePositionBias, checkpoint table keys to try) per table."""
    out = []
    if model.use_rel_pos_bias == 'shared':
        for kind in ('window', 'global'):
            module = getattr(model, f'rel_pos_bias_{kind}')
            if module is not None:
                out.append((f'rel_pos_bias_{kind}.{TABLE}', module,
                            [kind, REL_SHARED]))
    elif model.use_rel_pos_bias == 'per_block':
        for i, blk in enumerate(model.blocks):
            kind = 'global' if blk.is_global else 'window'
            out.append((f'blocks.{i}.attn.rel_pos_bias.{TABLE}',
                        blk.attn.rel_pos_bias, [f'blocks.{i}', kind,
                                                REL_SHARED]))
    return out


def _rel_pos_tables(ckpt, model, target, state, report, method) -> None:
    targets = rel_targets(model)
    tables: Dict[str, RelTable] = ckpt.rel_tables
    if not tables:
        for key, module, _ in targets:
            state[key] = _new_tensor(target[key], zero=module.zero_init)
            report.new.append((key, tuple(target[key].shape),
                               NEW_REL_ZERO if module.zero_init else
                               NEW_REL_TRUNC))
        return
    srcs = sorted(t.src_key for t in tables.values())
    if not targets:
        raise CheckpointError(
            f'{ckpt.path}: has relative position tables ({srcs[0]}, ...) but '
            f'the model has use_rel_pos_bias={model.use_rel_pos_bias!r}: set '
            "use_rel_pos_bias='shared' (the paper's choice) to keep them, or "
            f'drop them on purpose with discard={srcs!r}.')
    used = set()
    hints = ckpt.meta.get('rel_grids', {})
    for key, module, candidates in targets:
        name = next((c for c in candidates if c in tables), None)
        if name is None:
            per_block = any(k.startswith('blocks.') for k in tables)
            fix = ("set use_rel_pos_bias='per_block' to keep every block's "
                   'table (no reduction to one shared table is applied)'
                   if per_block else
                   'use a model whose window/global layout matches the file')
            raise CheckpointError(
                f'{ckpt.path}: has relative tables {sorted(tables)} but the '
                f"model (use_rel_pos_bias={model.use_rel_pos_bias!r}) needs "
                f'one for {key}: {fix}.')
        used.add(name)
        rel = tables[name]
        grid = _grid_of(rel.table.shape[0], module.grid_size, hints.get(name),
                        True, rel.src_key, ckpt.path)
        dst = tuple(module.grid_size)
        value = resize_rel_pos_table(rel.table, grid, dst, method)
        how = [rel.note] if rel.note else []
        if grid != dst:
            how.append(f'{grid[0]}x{grid[1]} -> {dst[0]}x{dst[1]} grid, '
                       f'{method}')
        state[key] = value
        if tuple(value.shape) == tuple(rel.src_shape):
            report.loaded.append((key, tuple(value.shape)))
        else:
            how.append(f'from {rel.src_key}')
            report.resized.append((key, rel.src_shape, tuple(value.shape),
                                   '; '.join(how)))
    for name in sorted(set(tables) - used):
        rel = tables[name]
        report.dropped.append((rel.src_key, rel.src_shape,
                               'the model has no block that uses this table'))


DECOMPOSED_SUFFIXES = ('.attn.rel_pos.rel_pos_h', '.attn.rel_pos.rel_pos_w')
NEW_DECOMPOSED = ('the checkpoint has no decomposed relative position tables: zero-init (detectron2 '
                  'ViTDet: rel_pos_zero_init; the paper: non-BEiT inits)')


def _decomposed_tables(ckpt, model, target, state, report) -> None:
    """Per-block decomposed tables: transferred and resized linearly, or new (zero / trunc-normal)."""
    from ..models.layers.decomposed_rel_pos import resize_rel_pos_table as resize_linear  # (models import us)
    found = [k for k in ckpt.weights if k.endswith(DECOMPOSED_SUFFIXES)]
    if model.use_rel_pos_bias != 'decomposed':
        if found:
            raise CheckpointError(
                f'{ckpt.path}: has decomposed relative position tables ({ckpt.source_of(found[0])}, ...) but the '
                f'model has use_rel_pos_bias={model.use_rel_pos_bias!r}: set '
                "use_rel_pos_bias='decomposed' to keep them (SAM's encoder and ViTDet use them), or drop them "
                f'on purpose with discard=[{ckpt.source_of(found[0]).rsplit(".", 1)[0]!r}, ...].')
        return
    for key in target:
        if not key.endswith(DECOMPOSED_SUFFIXES):
            continue
        if key not in ckpt.weights:
            state[key] = _new_tensor(target[key], zero=model.rel_pos_zero_init)
            report.new.append((key, tuple(target[key].shape), NEW_DECOMPOSED if model.rel_pos_zero_init
                               else NEW_REL_TRUNC))
            continue
        value, (src, src_shape, _) = ckpt.weights[key], ckpt.sources[key]
        if value.dim() != 2 or value.shape[1] != target[key].shape[1]:
            raise CheckpointError(
                f'{ckpt.path}: {src} has shape {list(value.shape)} but the model\'s {key} is '
                f'{list(target[key].shape)} (offsets x head width): set num_heads so that width / heads = '
                f'{value.shape[-1]}.')
        length = target[key].shape[0]
        if value.shape[0] == length:
            state[key] = value
            report.loaded.append((key, tuple(value.shape)))
        else:
            state[key] = resize_linear(value, length)
            report.resized.append((key, tuple(src_shape), tuple(state[key].shape),
                                   f'{value.shape[0]} -> {length} offsets, linear (detectron2 get_rel_pos)'))


def _rope_periods(ckpt, model, state, report) -> None:
    """RoPE periods: the file's (DINOv3 stores them), else computed from the config's base (as the release)."""
    from ..models.layers.rope import rope_periods  # (models import us)
    if model.rope is None or 'rope.periods' in ckpt.weights:
        return
    state['rope.periods'] = rope_periods(model.rope.head_dims, model.rope.base, model.rope.coords)
    report.new.append(('rope.periods', tuple(state['rope.periods'].shape),
                       f'RoPE periods computed from base {model.rope.base:g}, as the release computes them'))


def standardize(ckpt: ConvertedCheckpoint, model: nn.Module,
                rel_pos_resize: str = 'geometric',
                patch_embed_resize: Optional[str] = None
                ) -> Tuple['OrderedDict[str, torch.Tensor]', LoadReport]:
    """Build the complete state dict of ``model`` from ``ckpt``.

    Args:
        ckpt: weights read by a format module.
        model: a ``ViT``; only its structure is read.
        rel_pos_resize: 'geometric' or 'bicubic', see rel_pos_resize.py.
        patch_embed_resize: None (patch sizes must agree), 'pinv' or
            'bilinear': resize the file's patch kernel to the model's
            (patch_embed_resize.py).

    Returns:
        (state dict with every key of ``model``, LoadReport).
    """
    report = LoadReport(ckpt.path, ckpt.format, dropped=list(ckpt.dropped), detected=ckpt.detected)
    patch_row = resize_checkpoint_patch_embed(ckpt, model.patch_size,
                                              patch_embed_resize)
    if patch_row is not None:
        report.resized.append(patch_row)
    check_architecture(ckpt, model)
    block_notes = check_blocks(ckpt, model)
    check_layer_scale(ckpt, model)
    check_qkv_bias(ckpt, model)
    if ckpt.meta.get('reader') in READER_NOTES:
        report.notes.append(READER_NOTES[ckpt.meta['reader']])
    report.notes.extend(block_notes)
    report.notes.extend(check_options(ckpt, model))
    target = model.state_dict()
    state: Dict[str, torch.Tensor] = {}
    _abs_pos_embed(ckpt, model, target, state, report)
    _rel_pos_tables(ckpt, model, target, state, report, rel_pos_resize)
    _decomposed_tables(ckpt, model, target, state, report)
    _rope_periods(ckpt, model, state, report)
    unexpected = []
    for key, value in ckpt.weights.items():
        if key == 'pos_embed' or key.endswith(DECOMPOSED_SUFFIXES):
            continue
        if key not in target:
            unexpected.append(ckpt.source_of(key))
            continue
        if tuple(value.shape) != tuple(target[key].shape):
            raise CheckpointError(
                f'{ckpt.path}: {ckpt.source_of(key)} has shape '
                f'{list(value.shape)} but the model\'s {key} is '
                f'{list(target[key].shape)}: the checkpoint and the backbone '
                'config describe different architectures.')
        state[key] = value
        if patch_row is None or key != patch_row[0]:
            report.loaded.append((key, tuple(value.shape)))
    missing = [k for k in target if k not in state]
    if unexpected or missing:
        parts = []
        if missing:
            parts.append(f'the model needs {missing[:6]} which the file does '
                         'not have')
        if unexpected:
            parts.append(f'the file has {unexpected[:6]} which the model '
                         'has no place for')
        raise CheckpointError(
            f'{ckpt.path} ({ckpt.format} layout): ' + '; '.join(parts) +
            '. Check the backbone config against the checkpoint, or pass '
            'format=... if the layout was misdetected.')
    return OrderedDict((k, state[k]) for k in target), report
