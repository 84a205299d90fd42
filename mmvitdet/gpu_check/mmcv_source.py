"""mmcv 2.1.0's source release, cut down to the CUDA ops Mask R-CNN runs, for a build that fits a short GPU lease.

A full ``MMCV_WITH_OPS=1 FORCE_CUDA=1`` build compiles 58 ``.cu`` and 78 ``.cpp`` files. Mask R-CNN calls two of
mmcv's ops: ``nms`` (through ``batched_nms``, RPN and test-time boxes) and ``roi_align`` (``RoIAlign`` in the RoI
extractors and mmdet's mask targets). :func:`restrict_to_ops` leaves mmcv's build untouched but removes the other
ops' sources, so that setup.py's globs pick up only ``<op>.cpp``, ``cpu/<op>.cpp``, ``cuda/<op>_cuda.cu``,
``info.cpp`` and the two binding files, and cuts the binding files (``pybind.cpp``, ``cuda/cudabind.cpp``) down to
the items that refer only to functions still compiled. :func:`relax_ext_loader` lets ``mmcv.ops`` import with the
smaller ``_ext`` (mmcv asserts at import that every op's functions exist; a removed op now fails when called,
with "module 'mmcv._ext' has no attribute ..."). Such a build is for measuring, not an mmcv installation.

Standard library only: this runs before mmdet and mmcv exist on the GPU machine.
"""
import shutil
import tarfile
from pathlib import Path
from typing import Dict, Iterable, List, Set

from . import cpp_items

MMCV_VERSION = '2.1.0'
MASK_RCNN_OPS = ('nms', 'roi_align')
CSRC = Path('mmcv/ops/csrc/pytorch')
BINDING_FILES = (CSRC / 'pybind.cpp', CSRC / 'cuda' / 'cudabind.cpp')
ALWAYS_KEPT = ('info.cpp', )  # get_compiler_version, get_compiling_cuda_version (mmcv.ops.info)
EXT_ASSERT = "assert hasattr(ext, fun), f'{fun} miss in module {name}'"


def extract_sdist(sdist: Path, dest: Path) -> Path:
    """Unpack ``mmcv-<version>.tar.gz`` into ``dest`` (replacing an earlier copy); returns the source root."""
    root = dest / sdist.name[:-len('.tar.gz')]
    if root.exists():
        shutil.rmtree(root)
    dest.mkdir(parents=True, exist_ok=True)
    with tarfile.open(sdist) as tar:
        names = tar.getnames()
        if any(n.startswith('/') or '..' in Path(n).parts for n in names):
            raise ValueError(f'{sdist}: refusing an archive with absolute or ".." paths')
        tar.extractall(dest)
    if not (root / 'setup.py').is_file():
        raise FileNotFoundError(f'{sdist} did not unpack to {root}/setup.py: is it mmcv\'s source release '
                                f'(mmcv-{MMCV_VERSION}.tar.gz from PyPI)?')
    return root


def kept_sources(src: Path, ops: Iterable[str]) -> List[Path]:
    """Source files (relative to ``src``) of ``ops``, besides the binding files; each must exist."""
    kept = [CSRC / name for name in ALWAYS_KEPT]
    for op in ops:
        kept += [CSRC / f'{op}.cpp', CSRC / 'cpu' / f'{op}.cpp', CSRC / 'cuda' / f'{op}_cuda.cu']
    missing = [str(p) for p in kept if not (src / p).is_file()]
    if missing:
        raise FileNotFoundError(f'{src}: no {", ".join(missing)}; ops are named after their sources in '
                                f'{CSRC} (e.g. nms, roi_align)')
    return kept


def _filter_items(text: str, interface: Set[str], available: Set[str]) -> str:
    """Items of ``text`` whose interface names are all available; definitions kept add their names."""
    out = []
    for item in cpp_items.split_items(text):
        if cpp_items.declared_name(item) == 'PYBIND11_MODULE':
            head, body, tail = cpp_items.block_body(item)
            out.append(head + _filter_items(body, interface, available) + tail)
            continue
        used = cpp_items.identifiers(item) & interface
        defined = cpp_items.declared_name(item) if cpp_items.is_definition(item) else None
        if used - {defined} <= available:
            out.append(item)
            if defined:
                available.add(defined)
    return ''.join(out)


def _interface_names(texts: Iterable[str]) -> Set[str]:
    """Names declared or defined by the binding files: what ties them to the op sources."""
    names = set()
    for text in texts:
        for item in cpp_items.split_items(text):
            name = cpp_items.declared_name(item)
            if name and not name.isupper():  # not REGISTER_DEVICE_IMPL / PYBIND11_MODULE
                names.add(name)
            if name == 'PYBIND11_MODULE':
                names |= _interface_names([cpp_items.block_body(item)[1]]) - {'def'}
    return names


def restrict_to_ops(src: Path, ops: Iterable[str] = MASK_RCNN_OPS) -> Dict[str, object]:
    """Cut the unpacked source tree ``src`` down to ``ops`` (in place).

    Returns a summary: kept and removed source counts and the Python-visible functions of the new ``_ext``.
    """
    ops = tuple(ops)
    kept = set(kept_sources(src, ops))
    removed = []
    for sub in ('', 'cpu', 'cuda'):
        for path in sorted((src / CSRC / sub).glob('*.c*')):
            rel = path.relative_to(src)
            if path.suffix in ('.cpp', '.cu') and rel not in kept and rel not in BINDING_FILES:
                path.unlink()
                removed.append(str(rel))
    binding_texts = {rel: (src / rel).read_text() for rel in BINDING_FILES}
    interface = _interface_names(binding_texts.values())
    available = set()
    for rel in kept:
        available |= set(cpp_items.iter_definitions((src / rel).read_text())) & interface
    bound = []
    for rel, text in binding_texts.items():
        filtered = _filter_items(text, interface, set(available))
        (src / rel).write_text(filtered)
        if rel.name == 'pybind.cpp':
            module = next(i for i in cpp_items.split_items(filtered)
                          if cpp_items.declared_name(i) == 'PYBIND11_MODULE')
            bound = sorted(cpp_items.identifiers(cpp_items.block_body(module)[1]) & interface)
    return dict(ops=list(ops), kept=sorted(str(p) for p in kept | set(BINDING_FILES)),
                removed=len(removed), functions=bound)


def relax_ext_loader(src: Path) -> None:
    """Let ``mmcv.ops`` import when ``_ext`` lacks the functions of removed ops (in place)."""
    path = src / 'mmcv' / 'utils' / 'ext_loader.py'
    text = path.read_text()
    if EXT_ASSERT not in text:
        raise ValueError(f'{path}: the line "{EXT_ASSERT}" of mmcv {MMCV_VERSION} is not there; another mmcv '
                         'version? Build it whole (--mmcv-ops all).')
    path.write_text(text.replace(EXT_ASSERT, 'pass  # mmvitdet gpu_check: ops built selectively'))


def count_sources(src: Path) -> Dict[str, int]:
    """Number of .cu and .cpp files setup.py's CUDA globs would compile."""
    root = src / CSRC
    cu = len(list((root / 'cuda').glob('*.cu')))
    cpp = sum(len(list((root / sub).glob('*.cpp'))) for sub in ('', 'cpu', 'cuda'))
    return dict(cu=cu, cpp=cpp)

