"""A meta-path finder that provides ``mmcv._ext`` from torchvision's kernels when mmcv has no compiled ops.

mmcv-lite (the pure wheel of mmcv) ships every ``mmcv/ops/*.py`` but not the compiled ``mmcv._ext``
they import. This finder is appended to ``sys.meta_path``, so it is asked only after Python's path
finders failed to find a compiled ``mmcv/_ext*.so``: with full mmcv installed it never answers.

Why a ``.pth`` file: the name must resolve before anything imports ``mmcv.ops``, whichever way Python was
started (tools/*.py, a user script importing ``mmdet.apis`` first, mmdet's own tools, ``mim``, pytest,
torchrun workers, spawned DataLoader workers). ``site`` runs ``.pth`` lines at every start of the
environment's interpreter; the line loads this file by path, so no package (and no torch) is imported.

    python mmvitdet/ops/ext_finder.py --write-pth DIR    # what tools/setup.sh runs (DIR: site-packages)
    python mmvitdet/ops/ext_finder.py --remove-pth DIR
"""
import importlib.util
import os
import sys

EXT_NAME = 'mmcv._ext'
PROVIDER_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'torchvision_ext.py')
PTH_NAME = 'mmvitdet-mmcv-ext.pth'
_MARK = 'mmvitdet_provides_mmcv_ext'  # attribute on the finder: install() stays idempotent across module copies


class MmcvExtFinder:
    """Finds ``mmcv._ext`` as mmvitdet's torchvision-backed module (a plain Python file)."""

    mmvitdet_provides_mmcv_ext = True

    @staticmethod
    def find_spec(fullname, path=None, target=None):
        if fullname != EXT_NAME:
            return None
        return importlib.util.spec_from_file_location(EXT_NAME, PROVIDER_FILE)


def install():
    """Append the finder to ``sys.meta_path`` once (after the path finders: a compiled mmcv is found first)."""
    if not any(getattr(f, _MARK, False) for f in sys.meta_path):
        sys.meta_path.append(MmcvExtFinder())


def mmcv_ops_backend():
    """'compiled mmcv' or 'torchvision kernels (mmvitdet)': what ``mmcv._ext`` is, importing it if needed."""
    import mmcv._ext as ext
    return 'torchvision kernels (mmvitdet)' if getattr(ext, 'MMVITDET_STAND_IN', False) else 'compiled mmcv'


def pth_line():
    """The ``.pth`` line: load this file by its path and install the finder (nothing else is imported)."""
    here = os.path.abspath(__file__)
    return (f"import importlib.util as u; s = u.spec_from_file_location('mmvitdet_ext_finder', {here!r}); "
            "m = u.module_from_spec(s); s.loader.exec_module(m); m.install()\n")


def _main(argv):
    if len(argv) != 2 or argv[0] not in ('--write-pth', '--remove-pth'):
        sys.exit('usage: ext_finder.py --write-pth SITE_PACKAGES | --remove-pth SITE_PACKAGES')
    target = os.path.join(argv[1], PTH_NAME)
    if argv[0] == '--write-pth':
        with open(target, 'w') as f:
            f.write(pth_line())
    elif os.path.exists(target):
        os.remove(target)
    print(target)


if __name__ == '__main__':
    _main(sys.argv[1:])
