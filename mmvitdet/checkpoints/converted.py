"""The result of reading an official checkpoint: ViT-keyed weights plus provenance.

Every format module turns its file into a :class:`ConvertedCheckpoint` whose
``weights`` use the ViT's own key names (``patch_embed.proj.*``,
``blocks.N.*``, ``pos_embed`` without class slots) and whose relative position
tables are kept apart at their pre-training grid, so that the position
standardization (standardize.py) can decide where they go.
"""
import math
import re
from dataclasses import dataclass, field
from typing import Dict, Iterable, List, Mapping, Optional, Tuple

import torch

from .errors import CheckpointError

# Keys of ``rel_tables``: 'shared' (one pre-training table for every block),
# 'window' / 'global' (mmvitdet's shared tables) or 'blocks.N' (per block).
REL_SHARED = 'shared'
BEIT_CLS_ROWS = 3  # cls-to-token, token-to-cls, cls-to-cls


@dataclass
class RelTable:
    """One relative position table, cls rows already removed.

    table: [(2h-1)*(2w-1), heads]; src_key/src_shape: where it came from;
    note: what was done to it while reading (e.g. the cls rows dropped).
    """
    table: torch.Tensor
    src_key: str
    src_shape: Tuple[int, ...]
    note: str = ''


@dataclass
class ConvertedCheckpoint:
    """Weights of one checkpoint renamed to the ViT's keys.

    Attributes:
        path: the file, for messages.
        format: the format module that read it.
        weights: ViT key -> tensor (relative tables excluded).
        sources: ViT key -> (source key, source shape, note).
        rel_tables: 'shared' | 'window' | 'global' | 'blocks.N' -> RelTable.
        dropped: (source key, shape, reason) of every tensor not used.
        meta: extra facts (e.g. the grid of a converted mmvitdet file).
        detected: the layout the keys match when ``format`` was given, not detected (None: detected, or no
            layout matches).
    """
    path: str
    format: str
    weights: Dict[str, torch.Tensor] = field(default_factory=dict)
    sources: Dict[str, Tuple[str, Tuple[int, ...], str]] = field(
        default_factory=dict)
    rel_tables: Dict[str, RelTable] = field(default_factory=dict)
    dropped: List[Tuple[str, Tuple[int, ...], str]] = field(
        default_factory=list)
    meta: dict = field(default_factory=dict)
    detected: Optional[str] = None

    def add(self, key: str, value: torch.Tensor, src_key: str,
            note: str = '', src_shape: Optional[Tuple[int, ...]] = None):
        if key in self.weights:
            raise CheckpointError(
                f'{self.path}: both {self.sources[key][0]!r} and {src_key!r} '
                f'map to the ViT key {key!r}; the file mixes two layouts. '
                'Pass format=... explicitly or clean the file.')
        self.weights[key] = value
        shape = tuple(value.shape) if src_shape is None else tuple(src_shape)
        self.sources[key] = (src_key, shape, note)

    def add_rel(self, key: str, table: torch.Tensor, src_key: str,
                src_shape: Tuple[int, ...], note: str = ''):
        self.rel_tables[key] = RelTable(table, src_key, tuple(src_shape), note)

    def drop(self, src_key: str, value, reason: str):
        shape = tuple(value.shape) if hasattr(value, 'shape') else ()
        self.dropped.append((src_key, shape, reason))

    def source_of(self, key: str) -> str:
        """The file's name for the ViT key ``key`` (``key`` itself when it has no source)."""
        return self.sources[key][0] if key in self.sources else key

    def set_heads_by_width(self, heads_by_width: Mapping[int, int], source: str) -> None:
        """``meta['num_heads']`` from a release's width -> heads table (files cannot show the heads).

        ``source`` says where the count comes from, with ``{width}`` filled in; unknown widths set nothing.
        """
        width = int(self.weights['patch_embed.proj.weight'].shape[0])
        if width in heads_by_width:
            self.meta['num_heads'] = (heads_by_width[width], source.format(width=width))


def tensor_items(state: Mapping) -> Iterable[Tuple[str, torch.Tensor]]:
    """(key, tensor) pairs of a state dict, skipping non-tensor entries."""
    for key, value in state.items():
        if isinstance(value, torch.Tensor):
            yield key, value


def strip_extra_tokens(ckpt: ConvertedCheckpoint, src_key: str,
                       pos: torch.Tensor, num_extra: int,
                       alternatives: Tuple[int, ...] = (),
                       note: str = '',
                       src_shape: Optional[Tuple[int, ...]] = None) -> None:
    """Add ``pos_embed`` [1, N + extra, C] without its class/distillation slots.

    ``num_extra`` is how many prefix tokens the model had (cls, dist);
    ``alternatives`` are other slot counts the layout allows (e.g. cls +
    register tokens), tried next. When no count leaves a square but the length
    itself is one, the file stores no slots (DeiT III) and nothing is cut.
    ``note`` and ``src_shape``: what the caller did before and the shape in
    the file (e.g. CLIP's [N + 1, C] given here with a batch dimension).
    """
    if pos.dim() != 3 or pos.shape[0] != 1:
        raise CheckpointError(
            f'{ckpt.path}: {src_key} has shape {list(pos.shape)}, expected '
            '[1, tokens, width]. Is this a ViT checkpoint?')
    length = pos.shape[1]
    src_shape = tuple(pos.shape) if src_shape is None else tuple(src_shape)
    notes = [note] if note else []
    cut = next((n for n in (num_extra, *alternatives)
                if n and _is_square(length - n)), 0)
    if cut:
        notes.append(f'{cut} class-token slot(s) dropped')
        ckpt.add('pos_embed', pos[:, cut:], src_key, '; '.join(notes),
                 src_shape=src_shape)
    elif _is_square(length) or not num_extra:
        ckpt.add('pos_embed', pos, src_key, '; '.join(notes),
                 src_shape=src_shape)
    else:
        raise CheckpointError(
            f'{ckpt.path}: {src_key} has {length} tokens, which is neither a '
            f'square grid nor a square grid plus {num_extra} class slot(s); '
            'cannot tell its grid. Non-square pre-training grids are only '
            'read from mmvitdet-format files.')


def _is_square(n: int) -> bool:
    return n > 0 and math.isqrt(n)**2 == n


def add_beit_table(ckpt: ConvertedCheckpoint, key: str, src_key: str,
                   table: torch.Tensor) -> None:
    """Add a BEiT table [(2g-1)^2 + 3, heads] without its 3 cls rows.

    A table whose row count is already an odd square has no cls rows.
    """
    rows = table.shape[0]
    if table.dim() == 2 and _is_odd_square(rows):
        ckpt.add_rel(key, table, src_key, tuple(table.shape))
        return
    rows -= BEIT_CLS_ROWS
    if table.dim() != 2 or not _is_odd_square(rows):
        raise CheckpointError(
            f'{ckpt.path}: {src_key} has shape {list(table.shape)}; a BEiT '
            'relative table has (2g-1)^2 + 3 rows (3 class-token rows) for a '
            'g x g grid.')
    ckpt.add_rel(key, table[:rows], src_key, tuple(table.shape),
                 f'{BEIT_CLS_ROWS} cls rows dropped')


def _is_odd_square(n: int) -> bool:
    return _is_square(n) and math.isqrt(n) % 2 == 1


def block_key(key: str, prefix: str = 'blocks.') -> Optional[Tuple[int, str]]:
    """'blocks.3.attn.qkv.weight' -> (3, 'attn.qkv.weight'); None otherwise."""
    m = re.match(re.escape(prefix) + r'(\d+)\.(.+)$', key)
    return (int(m.group(1)), m.group(2)) if m else None


def rename_part(part: str, table: Mapping[str, str]) -> Optional[str]:
    """Rename a block key part by the first matching entry of ``table``.

    Entries ending in '.' are prefixes ('ln_1.' -> 'norm1.' also renames
    'ln_1.weight'); others match exactly. None when nothing matches.
    """
    for old, new in table.items():
        if part == old or (old.endswith('.') and part.startswith(old)):
            return new + part[len(old):]
    return None


def raise_unknown(ckpt: ConvertedCheckpoint, unknown: List[str]) -> None:
    """Refuse keys the format does not know instead of dropping them silently."""
    if unknown:
        shown = ', '.join(unknown[:8]) + (' ...' if len(unknown) > 8 else '')
        raise CheckpointError(
            f'{ckpt.path}: {len(unknown)} key(s) are not part of the '
            f'{ckpt.format} layout: {shown}. If the format was misdetected '
            'pass format=...; to drop them on purpose pass discard=[<key '
            'prefixes>] (init_cfg) or --discard (converter).')


def add_fused_qkv(ckpt: ConvertedCheckpoint, block: int, parts: Mapping,
                  names: Tuple[str, str, str]) -> None:
    """Add ``blocks.N.attn.qkv.{weight,bias}`` from separate q/k/v tensors.

    ``parts`` maps source key -> tensor for one block; ``names`` are the
    source keys' stems for q, k and v (e.g. '...self_attn.q_proj'), each with
    '.weight' and optionally '.bias'.
    """
    for suffix in ('weight', 'bias'):
        keys = [f'{n}.{suffix}' for n in names]
        found = [k for k in keys if k in parts]
        if not found:
            continue
        if len(found) != 3:
            missing = sorted(set(keys) - set(found))
            raise CheckpointError(
                f'{ckpt.path}: block {block} has {found} but not {missing}; '
                'q, k and v projections must all be present. Is the file '
                'complete?')
        fused = torch.cat([parts[k] for k in keys], dim=0)
        ckpt.add(f'blocks.{block}.attn.qkv.{suffix}', fused, keys[0],
                 'q, k, v fused into qkv',
                 src_shape=tuple(parts[keys[0]].shape))
