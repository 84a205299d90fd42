"""The error for a pre-trained file the config names but that is not on disk: where it goes, and the command
that fetches it (the configs that name the file give the init and size, read from their text, not parsed)."""
import glob
import os
import os.path as osp
import re
from typing import Optional, Tuple

from ..engine.checkpoint_loading import CheckpointNotFoundError
from .errors import CheckpointError

CONFIG_ROOT = osp.join(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))), 'configs')
# size may carry '-plus' (DINOv3 ViT-H+), init '-core' (PE-Core); ablation suffixes ('mae-absonly') stay out
NAME_PATTERN = re.compile(r'_vit-(?P<size>[a-z]+(?:-plus)?)-(?P<init>[a-z0-9]+(?:-core)?)_')


class PretrainedFileNotFoundError(CheckpointError, CheckpointNotFoundError):
    """A pre-trained file a config names that does not exist (the advice says where it goes and how to fetch it)."""


def init_and_size_of(file_name: str, config_root: str = CONFIG_ROOT) -> Optional[Tuple[str, str]]:
    """(init, size) of the first init config that names ``file_name`` in its ``init_cfg``, else None."""
    quoted = re.compile(r"""['"/]""" + re.escape(file_name) + r"""['"]""")
    for config in sorted(glob.glob(osp.join(config_root, '*', 'mask-rcnn_*.py'))):
        match = NAME_PATTERN.search(osp.basename(config))
        if match:
            with open(config, encoding='utf-8') as f:
                if quoted.search(f.read()):
                    return match['init'], match['size']
    return None


# The checkpoint of configs/own_init while MMVITDET_PRETRAINED is not set (mmengine needs a default).
UNSET_OWN_FILE = 'unset-MMVITDET_PRETRAINED'


def missing_checkpoint_error(path: str) -> PretrainedFileNotFoundError:
    name = osp.basename(osp.normpath(path))
    if name == UNSET_OWN_FILE:
        return PretrainedFileNotFoundError(
            'no pre-trained file given for your own ViT: set MMVITDET_PRETRAINED=/path/to/your_vit.pth (a file or '
            'Hugging Face folder of any layout in docs/initializations.md), or --cfg-options '
            'model.backbone.init_cfg.checkpoint=/path/to/your_vit.pth')
    found = init_and_size_of(name)
    if found is None:  # not a file any config names: the user's own, nothing to download
        given = ' (the value of MMVITDET_PRETRAINED)' if os.environ.get('MMVITDET_PRETRAINED') == path else ''
        return PretrainedFileNotFoundError(
            f'checkpoint file {path}{given} does not exist (working directory {os.getcwd()}): check the path of '
            'your pre-trained file (a relative path starts at the working directory)')
    fetch = f'python tools/download_checkpoints.py --init {found[0]} --size {found[1]}'
    return PretrainedFileNotFoundError(
        f'checkpoint file {path} does not exist: put the official file {name} in the folder named by '
        f'MMVITDET_CHECKPOINTS (default checkpoints/), or fetch it there with `{fetch}`, or set '
        'model.backbone.init_cfg.checkpoint=PATH')
