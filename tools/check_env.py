"""Checks of the mmvitdet environment, used by tools/setup.sh (run with the environment's python).

    python tools/check_env.py PART...     # PART: torch, mmcv, stack, lock (in that order of dependency)

All named parts are checked in one interpreter (imports dominate the time). Prints one line per part that is fine;
stops at the first problem, prints it and exits 1.
"""
import importlib.metadata as md
import os
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MMCV_VERSION = '2.1.0'  # mmdet 3.3.0 accepts mmcv >=2.0.0rc4,<2.2.0
# setuptools: mmengine imports pkg_resources (removed in 81); editable installs need >= 64
OPENMMLAB_PINS = ['mmengine==0.10.7', 'mmdet==3.3.0', 'mmpretrain==1.2.0', 'setuptools>=64,<81']


def check_torch():
    try:
        import torch
        import torchvision
        torchvision.ops.nms(torch.tensor([[0., 0., 1., 1.]]), torch.tensor([1.]), 0.5)
    except Exception as e:  # ImportError, or torchvision's ops not matching torch ("operator torchvision::nms ...")
        return f'torch+torchvision not usable: {type(e).__name__}: {e}'
    print(f'torch {torch.__version__}, torchvision {torchvision.__version__}: ok')


def check_mmcv():
    """mmcv 2.1.0, one distribution of it, and working nms / RoIAlign from whichever mmcv._ext serves them."""
    dists = [name for name in ('mmcv', 'mmcv-lite') if _installed(name)]
    if len(dists) == 2:
        return ('mmcv and mmcv-lite are both installed (they share the folder mmcv/). '
                'Fix: bash tools/setup.sh --mmcv-ops lite (or full)')
    try:
        import mmcv
    except Exception as e:
        return f'mmcv not importable: {type(e).__name__}: {e}'
    if mmcv.__version__ != MMCV_VERSION:
        return f'mmcv {mmcv.__version__} installed, mmdet 3.3.0 needs {MMCV_VERSION}'
    try:
        import torch
        from mmcv.ops import RoIAlign, nms  # loads mmcv._ext: compiled, or mmvitdet's torchvision stand-in
        import mmcv._ext as ext
        boxes = torch.tensor([[0., 0., 2., 2.], [0., 0., 2., 2.1]])
        keep = nms(boxes, torch.tensor([0.9, 0.8]), 0.5)[1]
        feature = torch.arange(16.).reshape(1, 1, 4, 4)
        pooled = RoIAlign((2, 2), 1.0, 2)(feature, torch.tensor([[0., 0., 0., 3., 3.]]))
        if keep.tolist() != [0] or pooled.shape != (1, 1, 2, 2):
            return f'mmcv {mmcv.__version__} ops give wrong results (nms kept {keep.tolist()})'
    except Exception as e:  # a build against another torch fails here with "undefined symbol"
        return f'mmcv {mmcv.__version__} ({"+".join(dists) or "?"}) has no working ops: {type(e).__name__}: {e}'
    if getattr(ext, 'MMVITDET_STAND_IN', False):
        print(f'mmcv-lite {mmcv.__version__}, ops nms and RoIAlign on torchvision kernels (mmvitdet/ops): ok')
    else:
        print(f'mmcv {mmcv.__version__} with compiled ops: ok')


def _venv_version(name):
    try:
        return md.version(name)
    except md.PackageNotFoundError:
        return None


def _installed(name):
    return _venv_version(name) is not None


def requirement_lines(*names):
    """The requirement lines of these files in the checkout (comments, blanks and pip options left out)."""
    lines = []
    for name in names:
        with open(os.path.join(REPO, name)) as f:
            lines += [line.split('#', 1)[0].strip() for line in f]
    return [line for line in lines if line and not line.startswith('-')]


def unmet(lines, version_of, where=''):
    """'<requirement><where> (have X | not installed)' for each line ``version_of(name)`` does not satisfy."""
    from packaging.requirements import Requirement
    problems = []
    for line in lines:
        req = Requirement(line)
        have = version_of(req.name)
        if have is None or not req.specifier.contains(have, prereleases=True):
            problems.append(f'{req}{where} ({"have " + have if have else "not installed"})')
    return problems



def hf_reference_problems():
    """requirements-hf-reference.txt in <venv>/hf-reference (test-only; not importable from the venv itself)."""
    folder = os.path.join(sys.prefix, 'hf-reference')
    have = {d.metadata['Name'].lower(): d.version for d in md.distributions(path=[folder])}
    return unmet(requirement_lines('requirements-hf-reference.txt'), lambda name: have.get(name.lower()),
                 f' in {folder}')


def check_hf_reference():
    """The transformers reference models of the tests, in their own folder (tools/setup.sh installs them)."""
    try:
        import packaging.requirements  # noqa: F401
    except ImportError:
        return 'packaging not installed'
    problems = hf_reference_problems()
    if problems:
        return 'requirements not met: ' + '; '.join(problems)
    print('requirements-hf-reference.txt: ok')


def check_stack():
    """The pinned OpenMMLab stack, requirements(-test).txt and the editable mmvitdet of THIS checkout."""
    try:
        import packaging.requirements  # noqa: F401
    except ImportError:
        return 'packaging not installed'
    problems = unmet(OPENMMLAB_PINS + requirement_lines('requirements.txt', 'requirements-test.txt'),
                     _venv_version)
    problems += hf_reference_problems()
    if problems:
        return 'requirements not met: ' + '; '.join(problems)
    try:
        import mmdet  # noqa: F401
        import mmpretrain  # noqa: F401
        import mmvitdet
    except Exception as e:
        return f'import failed: {type(e).__name__}: {e}'
    where = os.path.realpath(os.path.dirname(mmvitdet.__file__))
    if not where.startswith(os.path.realpath(REPO) + os.sep):
        return f'mmvitdet is imported from {where}, not from this checkout {REPO}'
    print('mmengine, mmdet, mmpretrain, mmvitdet (editable), requirements.txt, requirements-test.txt and '
          'requirements-hf-reference.txt: ok')


def locked_versions(path):
    """{normalized name: version} of the ``name==version`` lines of a lock file."""
    from packaging.utils import canonicalize_name
    pins = {}
    with open(path) as f:
        for line in f:
            if line[:1].isalnum() and '==' in line:
                name, version = line.split(';', 1)[0].split()[0].split('==', 1)
                pins[canonicalize_name(name)] = version
    return pins


def check_lock():
    """Every package of requirements.lock installed at the locked version (mmcv-lite: unless mmcv with compiled
    ops replaces it, --mmcv-ops full)."""
    pins = locked_versions(os.path.join(REPO, 'requirements.lock'))
    if _installed('mmcv') and not _installed('mmcv-lite'):
        pins.pop('mmcv-lite', None)
    drift = []
    for name, version in sorted(pins.items()):
        have = _venv_version(name)
        if have is None or have.split('+')[0] != version.split('+')[0]:
            drift.append(f'{name} {have or "not installed"} (lock {version})')
    if drift:
        return (f'drift from requirements.lock: {"; ".join(drift[:12])}{"; ..." if len(drift) > 12 else ""} '
                f'({len(drift)} of {len(pins)}). Fix: bash tools/setup.sh (installs the lock)')
    print(f'requirements.lock: all {len(pins)} packages at their locked versions: ok')


CHECKS = dict(torch=check_torch, mmcv=check_mmcv, stack=check_stack, hf_reference=check_hf_reference,
              lock=check_lock)


def main(parts):
    unknown = [p for p in parts if p not in CHECKS]
    if not parts or unknown:
        sys.exit(f'check_env.py: give parts out of {", ".join(CHECKS)} (unknown: {", ".join(unknown) or "none"})')
    for part in parts:
        problem = CHECKS[part]()
        if problem:
            print(problem, file=sys.stderr)
            sys.exit(1)


if __name__ == '__main__':
    main(sys.argv[1:])
