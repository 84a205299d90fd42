"""``tools/gpu_check.py --prepare``: fill the carried folder on a machine with a package registry.

Downloads, for the GPU image's CPython 3.12 on manylinux x86_64, the wheels of the stack that the image lacks
(:mod:`.device_image`), pinned to the versions this checkout's environment runs (mmcv-lite: pure Python; the
image's torchvision serves nms and RoIAlign through mmvitdet/ops, so nothing is compiled there);
checks that every requirement of every carried wheel is carried or in the image; writes the manifest; and
checks the size against the 64 MiB that may travel with a device call.
"""
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Dict, Iterable, List, Tuple
from zipfile import ZipFile

from . import carried, device_image

# (distribution, why the GPU check needs it); versions are those installed here (see pinned_requirements).
CARRIED_DISTRIBUTIONS: Tuple[Tuple[str, str], ...] = (
    ('mmengine', 'Runner, Config, optim wrappers (pinned 0.10.7 in requirements.txt)'),
    ('mmcv-lite', 'mmcv 2.1.0 without compiled ops (nms and RoIAlign: torchvision kernels via mmvitdet/ops)'),
    ('mmdet', 'Mask R-CNN, CocoMetric (3.3.0)'),
    ('mmpretrain', 'ViT helpers, layer-wise lr decay (1.2.0)'),
    ('pycocotools', 'mmdet: COCO masks and metric'),
    ('terminaltables', 'mmdet: metric tables'),
    ('shapely', 'mmdet: mask structures'),
    ('addict', 'mmengine, mmcv: Config'),
    ('termcolor', 'mmengine: logging'),
    ('yapf', 'mmengine, mmcv: config dumps'),
    ('platformdirs', 'yapf'),
    ('importlib-metadata', 'mmpretrain'),
    ('lazy-importer', 'importlib-metadata'),
    ('mat4py', 'mmpretrain'),
    ('modelindex', 'mmpretrain: model index'),
    ('model-index', 'modelindex'),
    ('ordered-set', 'model-index'),
    ('setuptools', 'mmengine imports pkg_resources, gone in setuptools 81'),
)
SIZE_LIMIT = 64 * 2**20  # what may travel with a device call: working tree + carried paths


def pinned_requirements(distributions: Iterable[str]) -> List[str]:
    """``name==version`` for each distribution as installed here, so the GPU machine runs what the tests ran."""
    import importlib.metadata as md
    pins = []
    for name in distributions:
        try:
            # mmcv-lite is carried also from an environment with full mmcv (--mmcv-ops full): same release
            version = md.version('mmcv' if name == 'mmcv-lite' and not _installed(md, name) else name)
            pins.append(f'{name}=={version}')
        except md.PackageNotFoundError:
            raise SystemExit(f'--prepare: {name} is not installed in {sys.prefix}; run it with the environment of '
                             'tools/setup.sh (e.g. .venv/bin/python tools/gpu_check.py --prepare)')
    return pins


def _installed(md, name: str) -> bool:
    try:
        md.version(name)
        return True
    except md.PackageNotFoundError:
        return False


def download_wheels_command(python: str, requirements: List[str], dest: Path) -> List[str]:
    cmd = [python, '-m', 'pip', 'download', '--no-deps', '--only-binary', ':all:', '--disable-pip-version-check',
           '--python-version', '3.12', '--implementation', 'cp', '--abi', device_image.PYTHON_TAG, '-d', str(dest)]
    for platform in device_image.PLATFORMS:
        cmd += ['--platform', platform]
    return cmd + requirements


def wheel_requirements(wheel: Path) -> Tuple[str, List[str]]:
    """(distribution name, its Requires-Dist lines) read from the wheel's METADATA."""
    with ZipFile(wheel) as zf:
        meta_name = next(n for n in zf.namelist() if n.endswith('.dist-info/METADATA'))
        lines = zf.read(meta_name).decode('utf-8', 'replace').splitlines()
    name = next(line.split(':', 1)[1].strip() for line in lines if line.startswith('Name:'))
    requires = [line.split(':', 1)[1].strip() for line in lines if line.startswith('Requires-Dist:')]
    return name, requires


def missing_requirements(wheels: Iterable[Path]) -> Dict[str, List[str]]:
    """``{requirement: [wheels needing it]}`` for requirements neither carried nor in the GPU image.

    Markers are evaluated for CPython 3.12 on Linux without extras.
    """
    from packaging.requirements import Requirement
    env = dict(python_version='3.12', python_full_version='3.12.3', sys_platform='linux', platform_system='Linux',
               os_name='posix', implementation_name='cpython', platform_machine='x86_64', extra='')
    parsed = {wheel: wheel_requirements(wheel) for wheel in wheels}
    carried_names = {device_image.normalize(name) for name, _ in parsed.values()}
    missing: Dict[str, List[str]] = {}
    for wheel, (_, requires) in parsed.items():
        for line in requires:
            req = Requirement(line)
            if req.marker is not None and not req.marker.evaluate(env):
                continue
            name = device_image.normalize(req.name)
            if name not in carried_names and not device_image.has_package(name):
                missing.setdefault(str(req), []).append(wheel.name)
    return missing


def uncovered_requirements(requirements_txt: Path) -> List[str]:
    """Runtime requirements of the project (``requirements.txt``) that neither travel nor are in the GPU image.

    A new dependency must be added to CARRIED_DISTRIBUTIONS.
    """
    from packaging.requirements import Requirement
    carried_names = {device_image.normalize(name) for name, _ in CARRIED_DISTRIBUTIONS}
    missing = []
    for line in Path(requirements_txt).read_text().splitlines():
        line = line.split('#', 1)[0].strip()
        if not line or line.startswith('-'):
            continue
        name = device_image.normalize(Requirement(line).name)
        if name not in carried_names and not device_image.has_package(name):
            missing.append(name)
    return missing


def tree_bytes(repo: Path) -> int:
    """Bytes of what travels without ``carry``: tracked plus untracked, not ignored files."""
    out = subprocess.run(['git', 'ls-files', '-z', '--cached', '--others', '--exclude-standard'], cwd=repo,
                         capture_output=True, check=True).stdout.decode()
    total = 0
    for rel in filter(None, out.split('\0')):
        path = repo / rel
        if path.is_file() and not path.is_symlink():
            total += path.stat().st_size
    return total


def write_manifest(carry: Path, pins: List[str]) -> Dict:
    files = []
    for path in sorted(carry.rglob('*')):
        if path.is_file() and path.name != carried.MANIFEST:
            files.append(dict(path=str(path.relative_to(carry)), bytes=path.stat().st_size,
                              sha256=carried.sha256(path)))
    manifest = dict(created=time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime()), python=device_image.PYTHON_TAG,
                    platforms=list(device_image.PLATFORMS), requirements=pins, files=files,
                    bytes=sum(f['bytes'] for f in files))
    tmp = carry / (carried.MANIFEST + '.tmp')
    tmp.write_text(json.dumps(manifest, indent=1))
    os.replace(tmp, carry / carried.MANIFEST)
    return manifest


def prepare(repo: Path, carry: Path, log=print) -> Dict:
    """Fill ``carry`` (replacing what an earlier run left); returns the manifest plus size figures."""
    python = sys.executable
    wheels_dir = carry / carried.WHEELS
    wheels_dir.mkdir(parents=True, exist_ok=True)
    uncovered = uncovered_requirements(repo / 'requirements.txt')
    if uncovered:
        raise SystemExit(f'--prepare: requirements.txt names {", ".join(uncovered)}, which the GPU image lacks and '
                         'nothing carries; add them to CARRIED_DISTRIBUTIONS in mmvitdet/gpu_check/prepare.py')
    pins = pinned_requirements(name for name, _ in CARRIED_DISTRIBUTIONS)
    stale = [p for p in wheels_dir.glob('*.whl')]
    for path in stale:  # one version per package: pip --no-deps with two would stop the whole install
        path.unlink()
    cmd = download_wheels_command(python, pins, wheels_dir)
    log('$ ' + ' '.join(cmd))
    subprocess.run(cmd, check=True)
    missing = missing_requirements(sorted(wheels_dir.glob('*.whl')))
    if missing:
        raise SystemExit('--prepare: these requirements are neither carried nor in the GPU image '
                         f'(mmvitdet/gpu_check/device_image.py): {missing}; add them to '
                         'CARRIED_DISTRIBUTIONS in mmvitdet/gpu_check/prepare.py')
    manifest = write_manifest(carry, pins)
    manifest['tree_bytes'] = tree_bytes(repo)
    total = manifest['bytes'] + manifest['tree_bytes']
    if total > SIZE_LIMIT:
        raise SystemExit(f'--prepare: {carry} ({manifest["bytes"] / 2**20:.1f} MiB) plus the working tree '
                         f'({manifest["tree_bytes"] / 2**20:.1f} MiB) exceed the 64 MiB a device call may carry')
    return manifest


def device_command(carry_rel: str) -> str:
    """The device call that runs the whole check from the carried folder."""
    return (f'set -o pipefail; PYTHONUNBUFFERED=1 python3 tools/gpu_check.py --carried {carry_rel} '
            f'--work-dir "$OUT" 2>&1 | tee "$OUT/gpu_check.log"')
