"""Split C++/CUDA source into top-level items (declarations, definitions, preprocessor lines).

Enough C++ for mmcv's op-binding files (``pybind.cpp``, ``cudabind.cpp``): comments, string and character
literals and preprocessor lines are skipped when counting brackets; an item ends at a top-level ``;`` or at the
``}`` that closes a top-level block (with a ``;`` right after it, if any).
"""
import re
from typing import Iterator, List, Set, Tuple

_IDENT = re.compile(r'[A-Za-z_]\w*')


def _skip_literal(text: str, i: int) -> int:
    """Index just past the string or character literal starting at ``text[i]``."""
    quote = text[i]
    i += 1
    while i < len(text) and text[i] != quote:
        i += 2 if text[i] == '\\' else 1
    return i + 1


def _line_end(text: str, i: int) -> int:
    """Index of the newline ending the (backslash-continued) line at ``i``, or len(text)."""
    while True:
        j = text.find('\n', i)
        if j < 0:
            return len(text)
        if text[j - 1] != '\\':
            return j
        i = j + 1


def code_only(text: str) -> str:
    """``text`` with comments, literals and preprocessor lines blanked out (same length)."""
    out = list(text)
    i, n = 0, len(text)
    at_line_start = True
    while i < n:
        c = text[i]
        if c == '\n':
            at_line_start = True
            i += 1
            continue
        if at_line_start and c == '#':
            end = _line_end(text, i)
        elif text.startswith('//', i):
            end = _line_end(text, i)
        elif text.startswith('/*', i):
            end = text.find('*/', i + 2)
            end = n if end < 0 else end + 2
        elif c in '"\'':
            end = _skip_literal(text, i)
        else:
            if not c.isspace():
                at_line_start = False
            i += 1
            continue
        for k in range(i, min(end, n)):
            if out[k] != '\n':
                out[k] = ' '
        i = end
    return ''.join(out)


def _block_ends_item(code: str) -> bool:
    """Whether the top-level block that just closed ends its item: a function body or a namespace / extern block
    (not ``typedef enum {...} name;`` or ``struct S {...};``, which run to their ``;``)."""
    head = code[:code.index('{')].strip()
    return head.endswith(')') or head.endswith('const') or bool(re.match(r'(namespace|extern)\b', head))


def _macro_call_ends(code: str, start: int, i: int) -> bool:
    """Whether the ``)`` at ``i`` closes a top-level macro call written without ``;`` (``REGISTER_X(...)``)."""
    if not re.match(r'\s*[A-Z_][A-Z0-9_]*\s*\($', code[start:code.index('(', start) + 1]):
        return False
    rest = code[i + 1:].lstrip()
    return not rest.startswith((';', '{'))


def split_items(text: str) -> List[str]:
    """Top-level items of ``text``; ``''.join(items) == text`` (whitespace stays with the next item)."""
    code = code_only(text)
    items, start, depth = [], 0, 0
    i, n = 0, len(text)
    while i < n:
        c = code[i]
        if c in '({[':
            depth += 1
        elif c in ')}]':
            depth -= 1
            if depth < 0:
                raise ValueError(f'unbalanced {c!r} at offset {i}')
        if depth == 0 and (c == ';' or (c == '}' and _block_ends_item(code[start:i]))
                           or (c == ')' and _macro_call_ends(code, start, i))):
            end = i + 1
            if c == '}':  # a ';' right after a closing brace belongs to it
                m = re.match(r'[ \t]*;', code[end:])
                if m:
                    end += m.end()
            items.append(text[start:end])
            start = i = end
            continue
        if depth == 0 and text[i] == '#' and not code[start:i].strip():
            end = _line_end(text, i)
            items.append(text[start:end])
            start = i = end
            continue
        i += 1
    if depth != 0:
        raise ValueError('unbalanced brackets at the end of the file')
    items.append(text[start:])
    return items


def identifiers(item: str) -> Set[str]:
    """Identifiers of the code of ``item`` (not of its comments or strings)."""
    return set(_IDENT.findall(code_only(item)))


def declared_name(item: str) -> str:
    """Name declared or defined by ``item``: the identifier before its first top-level ``(``; '' if none."""
    code = code_only(item)
    m = re.search(r'([A-Za-z_]\w*)\s*\(', code)
    return m.group(1) if m else ''


def is_definition(item: str) -> bool:
    """True for an item with a body (``... { ... }``)."""
    return code_only(item).rstrip().rstrip(';').rstrip().endswith('}')


def block_body(item: str) -> Tuple[str, str, str]:
    """(head up to and with the first top-level '{', body, closing part from the matching '}')."""
    code = code_only(item)
    open_at = code.index('{')
    close_at = code.rindex('}')
    return item[:open_at + 1], item[open_at + 1:close_at], item[close_at:]


def iter_definitions(text: str) -> Iterator[str]:
    """Names of the functions ``text`` defines at top level."""
    for item in split_items(text):
        if is_definition(item):
            name = declared_name(item)
            if name:
                yield name
