"""The C++ standard an mmcv build needs for the installed torch (the rule of tools/setup.sh).

torch >= 2.14's headers refuse anything below C++20 (ATen.h: "C++20 or later compatible compiler is required"),
while mmcv 2.1.0's setup.py passes ``-std=c++17`` to the host compiler and to nvcc. Standard library only.
"""
import re
from pathlib import Path

CXX20_GUARD = '__cplusplus < 202002L'


def required_cxx_standard(torch_dir: Path) -> str:
    """'c++20' when the torch installed at ``torch_dir`` (the package folder) needs it, else 'c++17'."""
    aten = Path(torch_dir) / 'include' / 'ATen' / 'ATen.h'
    if not aten.is_file():
        raise FileNotFoundError(f'{aten} does not exist: torch at {torch_dir} has no C++ headers, so no extension '
                                'can be built against it (install a torch wheel that ships include/)')
    return 'c++20' if CXX20_GUARD in aten.read_text(errors='replace') else 'c++17'


def set_setup_py_standard(setup_py: Path, standard: str) -> int:
    """Rewrite every ``-std=c++17`` of mmcv's setup.py to ``-std=<standard>`` (in place); returns how many."""
    if standard not in ('c++17', 'c++20'):
        raise ValueError(f'standard={standard!r}: use c++17 or c++20')
    text = Path(setup_py).read_text()
    new, count = re.subn(r'-std=c\+\+17\b', f'-std={standard}', text)
    if count == 0 and standard != 'c++17':
        raise ValueError(f'{setup_py}: no "-std=c++17" to raise to {standard}; not mmcv 2.1.0\'s setup.py?')
    Path(setup_py).write_text(new)
    return count if standard != 'c++17' else 0
