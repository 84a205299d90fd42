"""A small table type rendered as markdown, CSV or LaTeX (booktabs).

Written here because the analysis needs all three formats from one table object and
neither mmengine nor mmdet has a table writer beyond terminal printing.
"""
import csv
import io
import re
from dataclasses import dataclass, field
from typing import List

FORMATS = ('md', 'csv', 'tex')


@dataclass
class Table:
    title: str
    headers: List[str]
    rows: List[List[str]] = field(default_factory=list)
    notes: List[str] = field(default_factory=list)

    @property
    def slug(self) -> str:
        return re.sub(r'[^a-z0-9]+', '_', self.title.lower()).strip('_')

    def render(self, fmt: str) -> str:
        if fmt == 'md':
            return to_markdown(self)
        if fmt == 'csv':
            return to_csv(self)
        if fmt == 'tex':
            return to_latex(self)
        raise ValueError(f'table format {fmt!r} is unknown: choose one of {FORMATS}.')


def to_markdown(table: Table) -> str:
    lines = [f'### {table.title}', '', '| ' + ' | '.join(table.headers) + ' |',
             '|' + '---|' * len(table.headers)]
    lines += ['| ' + ' | '.join(cell.replace('|', '\\|') for cell in row) + ' |'
              for row in table.rows]
    if table.notes:
        lines += [''] + [f'- {note}' for note in table.notes]
    return '\n'.join(lines) + '\n'


def to_csv(table: Table) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator='\n')
    writer.writerow(table.headers)
    writer.writerows(table.rows)
    return buf.getvalue()


_TEX_ESCAPES = {'\\': r'\textbackslash{}', '&': r'\&', '%': r'\%', '$': r'\$', '#': r'\#',
                '_': r'\_', '{': r'\{', '}': r'\}', '~': r'\textasciitilde{}',
                '^': r'\textasciicircum{}'}
_TEX_SYMBOLS = {'±': r'$\pm$', 'Δ': r'$\Delta$', '→': r'$\rightarrow$', '×': r'$\times$',
                '≥': r'$\geq$', '★': r'$\star$'}


def tex_escape(text: str) -> str:
    out = ''.join(_TEX_ESCAPES.get(ch, ch) for ch in text)
    for symbol, tex in _TEX_SYMBOLS.items():
        out = out.replace(symbol, tex)
    return out


def to_latex(table: Table) -> str:
    cols = 'l' + 'r' * (len(table.headers) - 1)
    lines = [f'% {tex_escape(table.title)}', r'\begin{tabular}{' + cols + '}', r'\toprule',
             ' & '.join(tex_escape(h) for h in table.headers) + r' \\', r'\midrule']
    lines += [' & '.join(tex_escape(c) for c in row) + r' \\' for row in table.rows]
    lines += [r'\bottomrule', r'\end{tabular}']
    lines += [f'% {tex_escape(note)}' for note in table.notes]
    return '\n'.join(lines) + '\n'
