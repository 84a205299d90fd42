"""What a checkpoint load did to every tensor, for the log and the converter."""
import re
from collections import OrderedDict
from dataclasses import asdict, dataclass, field
from typing import List, Optional, Tuple

Shape = Tuple[int, ...]


def _pattern(key: str) -> str:
    """Collapse block indices: 'blocks.3.norm1.weight' -> 'blocks.*.norm1.weight'."""
    return re.sub(r'\.\d+\.', '.*.', key)


@dataclass
class LoadReport:
    """Per-tensor account of one load.

    loaded: (model key, shape) copied unchanged.
    resized: (model key, checkpoint shape, model shape, how).
    new: (model key, shape, why) initialized here, not from the file.
    dropped: (checkpoint key, shape, why) left out.
    notes: how the file was read and which config facts were checked.
    detected: the layout the keys match where ``format`` was forced to another (else None).
    """
    path: str
    format: str
    loaded: List[Tuple[str, Shape]] = field(default_factory=list)
    resized: List[Tuple[str, Shape, Shape, str]] = field(default_factory=list)
    new: List[Tuple[str, Shape, str]] = field(default_factory=list)
    dropped: List[Tuple[str, Shape, str]] = field(default_factory=list)
    notes: List[str] = field(default_factory=list)
    detected: Optional[str] = None

    @property
    def format_label(self) -> str:
        """The layout as the report states it: the detected one, and the one it was read as where they differ."""
        if self.detected is None or self.detected == self.format:
            return self.format
        return f'{self.detected}, detected from its keys; read as {self.format}, as init_cfg.format asks'

    def to_dict(self) -> dict:
        return asdict(self)

    def to_text(self) -> str:
        """Human-readable summary; block-indexed keys are grouped as 'blocks.*'."""
        lines = [f'Loaded ViT weights from {self.path} (format: {self.format_label}): '
                 f'{len(self.loaded)} loaded, {len(self.resized)} resized, '
                 f'{len(self.new)} newly initialized, {len(self.dropped)} '
                 'dropped.']
        lines += [f'  note: {note}' for note in self.notes]
        sections = (
            ('loaded', [(k, _fmt(s), '') for k, s in self.loaded]),
            ('resized', [(k, f'{_fmt(a)} -> {_fmt(b)}', how)
                         for k, a, b, how in self.resized]),
            ('newly initialized', [(k, _fmt(s), why)
                                   for k, s, why in self.new]),
            ('dropped', [(k, _fmt(s), why) for k, s, why in self.dropped]),
        )
        for title, rows in sections:
            if not rows:
                continue
            lines.append(f'  {title}:')
            groups = OrderedDict()
            for key, shape, why in rows:
                groups.setdefault((_pattern(key), shape, why), []).append(key)
            for (pattern, shape, why), keys in groups.items():
                count = f' x{len(keys)}' if len(keys) > 1 else ''
                reason = f'  ({why})' if why else ''
                lines.append(f'    {pattern} {shape}{count}{reason}')
        return '\n'.join(lines)


def _fmt(shape: Shape) -> str:
    return '[' + ', '.join(str(int(s)) for s in shape) + ']'
