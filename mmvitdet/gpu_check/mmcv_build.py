"""Build mmcv 2.1.0 with CUDA ops on the GPU machine (``FORCE_CUDA=1``), as a wheel installed into a scratch path.

The environment is tools/setup.sh's (``MMCV_WITH_OPS=1``, ``MAX_JOBS``, the C++ standard of the installed torch)
plus ``FORCE_CUDA=1`` and ``TORCH_CUDA_ARCH_LIST`` of the card, so that one architecture is compiled. Standard
library only: this runs before mmcv exists there.
"""
import glob
import os
import shutil
import sys
from pathlib import Path
from typing import Dict, List, Optional

CUDA_RUNTIME_HEADER = 'cuda_runtime_api.h'


def cuda_home(env: Dict[str, str]) -> Optional[str]:
    """The CUDA toolkit folder to build against: $CUDA_HOME, else the one holding nvcc and its headers."""
    if env.get('CUDA_HOME'):
        return env['CUDA_HOME']
    candidates = []
    nvcc = shutil.which('nvcc', path=env.get('PATH'))
    if nvcc:
        candidates.append(Path(os.path.realpath(nvcc)).parent.parent)
    candidates += [Path('/usr/local/cuda')] + sorted(Path('/usr/local').glob('cuda-*'), reverse=True)
    for home in candidates:
        if (home / 'include' / CUDA_RUNTIME_HEADER).is_file() and (home / 'bin' / 'nvcc').exists():
            return str(home)
    return None


def pip_cuda_include_dirs(site_dirs: List[str]) -> List[str]:
    """Header folders of pip's CUDA packages (``nvidia/*/include``) next to torch.

    A toolkit installed with only nvcc lacks libraries' headers torch's own headers include (``cusparse.h``,
    ``cublas_v2.h``); torch's pip dependencies carry them. Offered through CPATH, searched after the toolkit's.
    """
    dirs = []
    for site in site_dirs:
        dirs += sorted(glob.glob(os.path.join(site, 'nvidia', '*', 'include')))
    return dirs


def build_env(base: Dict[str, str], torch_dir: str, arch: str, jobs: int, site_dirs: List[str],
              force_cuda: bool = True) -> Dict[str, str]:
    """Environment of the mmcv build: the variables of tools/setup.sh plus FORCE_CUDA and one architecture."""
    env = dict(base)
    env['MMCV_WITH_OPS'] = '1'
    env['MAX_JOBS'] = str(jobs)
    # ninja (parallel compile) and the python that holds torch, from the interpreter's folder
    env['PATH'] = os.pathsep.join([os.path.dirname(sys.executable), env.get('PATH', '')])
    if force_cuda:
        env['FORCE_CUDA'] = '1'
        env['TORCH_CUDA_ARCH_LIST'] = arch
        home = cuda_home(env)
        if home:
            env['CUDA_HOME'] = home
        extra = pip_cuda_include_dirs(site_dirs)
        if extra:
            env['CPATH'] = os.pathsep.join(extra + ([env['CPATH']] if env.get('CPATH') else []))
    return env


def wheel_command(python: str, src: Path, wheel_dir: Path) -> List[str]:
    """tools/setup.sh's build command, with no registry (the build needs only torch, setuptools and ninja)."""
    return [python, '-m', 'pip', 'wheel', '--no-deps', '--no-build-isolation', '--no-index', '--no-cache-dir',
            '--disable-pip-version-check', '-w', str(wheel_dir), str(src)]


def built_wheel(wheel_dir: Path) -> Optional[Path]:
    wheels = sorted(wheel_dir.glob('mmcv-*.whl'))
    return wheels[-1] if wheels else None
