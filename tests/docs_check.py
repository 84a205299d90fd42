"""What tests/test_docs.py checks in README.md and docs/*.md, as functions of a repository root.

- every relative link or image resolves;
- every ``tools/...`` script and ``configs/...`` file or folder a page names exists (``{a,b}`` alternatives are
  expanded; names with placeholders such as ``<init>``, ``N`` or ``*`` are skipped);
- every ``--flag`` shown after ``tools/X.py`` on a command line appears in that tool's ``--help``;
- no page speaks of how the project was made (the words in MAKING_WORDS).
"""
import itertools
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Callable, Dict, Iterable, List

LINK = re.compile(r'!?\[[^\]]*\]\(([^)\s]+)\)')
PATH = re.compile(r'(?<![\w/.-])((?:tools|configs)/[\w{},./<>*-]*[\w}/>*])')
TOOL_CALL = re.compile(r'(tools/[\w/.-]+\.py)((?:[^\n`|]|\\\n)*)')
FLAG = re.compile(r'(?<![\w-])(--[a-z][a-z0-9-]*)')
PLACEHOLDER = re.compile(r'<|>|\*|\.\.\.|/N\b|_N\b|-N\b|<N>')
MAKING_WORDS = re.compile(r'\b(session|sessions|lent|borrowed|assistant|diary|diaries)\b', re.IGNORECASE)


def pages(root: Path) -> List[Path]:
    found = [root / 'README.md'] + sorted((root / 'docs').glob('*.md'))
    return [p for p in found if p.is_file()]


def expand_braces(text: str) -> List[str]:
    parts = re.split(r'(\{[^{}]*\})', text)
    choices = [p[1:-1].split(',') if p.startswith('{') and p.endswith('}') else [p] for p in parts]
    return [''.join(c) for c in itertools.product(*choices)]


def broken_links(root: Path) -> List[str]:
    out = []
    for page in pages(root):
        for target in LINK.findall(page.read_text()):
            if re.match(r'[a-z]+://', target) or target.startswith(('#', 'mailto:')):
                continue
            path = (page.parent / target.split('#', 1)[0]).resolve()
            if not path.exists():
                out.append(f'{page.relative_to(root)}: link {target} does not resolve')
    return out


def missing_paths(root: Path) -> List[str]:
    out = []
    for page in pages(root):
        for name in sorted(set(PATH.findall(page.read_text()))):
            if PLACEHOLDER.search(name):
                continue
            for path in expand_braces(name.rstrip('.')):
                if not (root / path).exists():
                    out.append(f'{page.relative_to(root)}: names {path}, which does not exist')
    return out


def shown_flags(root: Path) -> Dict[str, Dict[str, List[str]]]:
    """{tool: {flag: [pages]}} for every ``tools/X.py ... --flag`` on one command line of a page."""
    shown: Dict[str, Dict[str, List[str]]] = {}
    for page in pages(root):
        for tool, rest in TOOL_CALL.findall(page.read_text()):
            for flag in FLAG.findall(rest.split('#', 1)[0]):
                shown.setdefault(tool, {}).setdefault(flag, []).append(str(page.relative_to(root)))
    return shown


HELP_DRIVER = """
import contextlib, io, json, runpy, sys
out = {}
for tool in sys.argv[1:]:
    buf = io.StringIO()
    sys.argv = [tool, '--help']
    with contextlib.redirect_stdout(buf), contextlib.redirect_stderr(buf):
        try:
            runpy.run_path(tool, run_name='__main__')
        except SystemExit:
            pass
        except Exception as e:
            buf.write(f'{type(e).__name__}: {e}')
    out[tool] = buf.getvalue()
print(json.dumps(out))
"""


def help_texts(root: Path, tools: List[str]) -> Dict[str, str]:
    """Each tool's ``--help``, all in one fresh interpreter (the imports of torch and mmdet are paid once)."""
    proc = subprocess.run([sys.executable, '-c', HELP_DRIVER, *tools], capture_output=True, text=True, cwd=root,
                          timeout=600)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def unknown_flags(root: Path, get_help: Callable[[Path, List[str]], Dict[str, str]] = help_texts) -> List[str]:
    shown = {tool: flags for tool, flags in shown_flags(root).items() if (root / tool).is_file()}
    helps = get_help(root, sorted(shown))  # a missing tool is reported by missing_paths
    out = []
    for tool, flags in sorted(shown.items()):
        for flag, where in sorted(flags.items()):
            if flag == '--help' or re.search(re.escape(flag) + r'(?![\w-])', helps[tool]):
                continue
            out.append(f'{", ".join(sorted(set(where)))}: {tool} {flag} is not in its --help')
    return out


def making_words(root: Path, extra: Iterable[Path] = ()) -> List[str]:
    out = []
    for page in list(pages(root)) + list(extra):
        for number, line in enumerate(page.read_text().splitlines(), 1):
            for word in MAKING_WORDS.findall(line):
                out.append(f'{page.relative_to(root)}:{number}: "{word}" speaks of how the project was made')
    return out
