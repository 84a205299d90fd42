"""Print OpenMMLab's index of prebuilt mmcv wheels for the installed torch and CUDA, as mim picks it.

    python tools/mmcv_wheel_index.py        # e.g. https://download.openmmlab.com/mmcv/dist/cu121/torch2.1/index.html

tools/setup.sh passes it to ``pip install -f`` before building mmcv from source. Exit status 1
(nothing printed) without a usable GPU (a CPU torch, or a CUDA torch on a machine without one, e.g.
CI): the set-up then goes straight to its CPU path.
"""
import re
import sys
from typing import Optional

INDEX = 'https://download.openmmlab.com/mmcv/dist/{cuda}/torch{torch}/index.html'


def wheel_index_url(torch_version: str, cuda_version: Optional[str]) -> str:
    """The index for torch ``torch_version`` (e.g. '2.1.2+cu121') built with CUDA ``cuda_version``
    (e.g. '12.1'; None for a CPU build). mmcv 2.x wheels are filed by torch major.minor
    (torch2.1/) and CUDA without the dot (cu121/), CPU builds under cpu/."""
    match = re.match(r'(\d+)\.(\d+)', torch_version)
    if match is None:
        raise ValueError(f'torch version {torch_version!r} is not of the form MAJOR.MINOR[.PATCH][+local]')
    cuda = 'cpu' if not cuda_version else 'cu' + ''.join(cuda_version.split('.')[:2])
    return INDEX.format(cuda=cuda, torch=f'{match.group(1)}.{match.group(2)}')


def main() -> int:
    import torch
    if not (torch.version.cuda and torch.cuda.is_available()):
        return 1
    print(wheel_index_url(torch.__version__, torch.version.cuda))
    return 0


if __name__ == '__main__':
    sys.exit(main())
