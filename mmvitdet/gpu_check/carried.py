"""The carried folder (wheels + manifest) and its installation without a registry.

Layout, made by ``tools/gpu_check.py --prepare`` (:mod:`.prepare`) and named in the device call's ``carry``::

    .gpu_carry/manifest.json            what is there, with sizes and sha256
    .gpu_carry/wheels/*.whl             CPython 3.12 manylinux wheels the GPU image lacks (mmcv-lite among them)

Standard library only: this runs before mmcv and mmdet exist on the GPU machine.
"""
import importlib.util
import json
import os
from pathlib import Path
from typing import Dict, List, Optional, Sequence

from ..utils.file_digest import sha256_file
from . import device_image

CARRY_DIR = '.gpu_carry'
MANIFEST = 'manifest.json'
WHEELS = 'wheels'
STACK_MODULES = ('mmengine', 'mmcv', 'mmdet', 'mmpretrain', 'pycocotools')


sha256 = sha256_file


def read_manifest(carry: Path, verify: bool = True) -> Dict:
    """The manifest of ``carry``; with ``verify``, every listed file must be there with its size and sha256."""
    path = Path(carry) / MANIFEST
    if not path.is_file():
        raise FileNotFoundError(f'{path} does not exist: make the carried folder first with '
                                f'`python tools/gpu_check.py --prepare` on a machine with a package registry')
    manifest = json.loads(path.read_text())
    for key in ('files', 'bytes'):
        if key not in manifest:
            raise KeyError(f'{path} has no "{key}": rerun `python tools/gpu_check.py --prepare`')
    if verify:
        for entry in manifest['files']:
            file = Path(carry) / entry['path']
            if not file.is_file():
                raise FileNotFoundError(f'{file} is listed in {path} but missing: was {carry} named in `carry` '
                                        'whole? Rerun --prepare if it was deleted')
            if file.stat().st_size != entry['bytes'] or sha256(file) != entry['sha256']:
                raise ValueError(f'{file} differs from {path} (size or sha256): a partial copy? Rerun --prepare')
    return manifest


def wheel_paths(carry: Path, manifest: Dict) -> List[Path]:
    return [Path(carry) / e['path'] for e in manifest['files'] if e['path'].endswith('.whl')]


def install_command(python: str, wheels: Sequence[Path], target: Path) -> List[str]:
    """pip command installing ``wheels`` into ``target`` with no registry and no dependency resolution.

    The wheels were chosen with their dependencies already (:func:`.prepare.missing_requirements`); the rest is in
    the image, whose own packages pip must leave alone (hence ``--target``, not the image's site-packages).
    """
    return [python, '-m', 'pip', 'install', '--no-index', '--no-deps', '--no-compile', '--no-cache-dir',
            '--disable-pip-version-check', '--quiet', '--target', str(target)] + [str(w) for w in wheels]


def install_check_command(python: str, wheels: Sequence[Path], target: Path) -> List[str]:
    """The same install, resolved for the GPU image's CPython 3.12 but not performed (``--dry-run``).

    Run on any machine, it proves the carried set is installable there: one version per package, every wheel
    built for cp312 manylinux x86_64.
    """
    cmd = [python, '-m', 'pip', 'install', '--dry-run', '--no-index', '--no-deps', '--disable-pip-version-check',
           '--only-binary', ':all:', '--python-version', device_image.PYTHON_TAG[2] + '.' + device_image.PYTHON_TAG[3:],
           '--implementation', 'cp', '--abi', device_image.PYTHON_TAG, '--target', str(target)]
    for platform in device_image.PLATFORMS:
        cmd += ['--platform', platform]
    return cmd + [str(w) for w in wheels]


def module_available(name: str) -> bool:
    return importlib.util.find_spec(name) is not None


def installed_stack() -> Optional[str]:
    """None when mmengine, mmcv, mmdet, mmpretrain and pycocotools import here (an environment made by
    tools/setup.sh), else the first missing module's name."""
    for name in STACK_MODULES:
        if not module_available(name):
            return name
    return None


def python_path(*entries: Path) -> str:
    """PYTHONPATH with ``entries`` first, then what this process was given."""
    parts = [str(e) for e in entries]
    if os.environ.get('PYTHONPATH'):
        parts.append(os.environ['PYTHONPATH'])
    return os.pathsep.join(parts)
