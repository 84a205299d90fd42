"""The official pre-trained files the init configs name, read from the configs themselves.

An init config names its file as ``checkpoint_dir + '<file>'`` in the ViT's
``init_cfg=dict(type='Pretrained', ...)`` (``checkpoint_dir`` is ``$MMVITDET_CHECKPOINTS``) and
its header comment gives the release URL, ``(https://.../<file>)``. Both are read from the config,
so a new init folder is picked up without a list to maintain here. Init and size come from the
config name (``mask-rcnn_vit-<size>-<init>_...``, mmdet's naming).
"""
import glob
import os.path as osp
import re
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple

import torch
from mmengine.config import Config

from ..models.backbones.vit import ARCH_SETTINGS
from .errors import CheckpointError
from .load import read_checkpoint

# size may carry '-plus' (DINOv3 ViT-H+), init '-core' (PE-Core); ablation suffixes ('mae-absonly') stay out
NAME_PATTERN = re.compile(r'_vit-(?P<size>[a-z]+(?:-plus)?)-(?P<init>[a-z0-9]+(?:-core)?)_')
URL_PATTERN = re.compile(r'https?://[^\s)]+')


@dataclass
class OfficialFile:
    """One file in MMVITDET_CHECKPOINTS and what the configs expect of it.

    name: file (or folder) name; url: where the file is published (None: not one file, or no URL
    in the header); page: the header's first URL (a project page), for a fetch by hand;
    init / size: from the config name; format: the layout the config reads it as;
    width / depth: the ViT it must fit; configs: the configs naming it.
    """
    name: str
    url: Optional[str]
    page: Optional[str]
    init: str
    size: str
    format: str
    discard: Tuple[str, ...]
    width: int
    depth: int
    configs: List[str] = field(default_factory=list)

    @property
    def max_bytes(self) -> int:
        """A bound on the file's size from the ViT it must fit: six fp32 copies of its parameters (a release may
        hold an EMA / momentum encoder and optimizer moments besides the weights) and 64 MiB for the rest. The
        releases do not publish their sizes; a server announcing or sending more is not serving this file."""
        params = 12 * self.depth * self.width ** 2 + 4096 * self.width  # blocks; embeddings and heads
        return 6 * 4 * params + (64 << 20)


def _header_urls(config: str) -> List[str]:
    urls = []
    with open(config, encoding='utf-8') as f:
        for line in f:
            if not line.startswith('#'):
                break
            urls += [u.rstrip('.,;:') for u in URL_PATTERN.findall(line)]
    return urls


def _arch(backbone: dict) -> Tuple[int, int]:
    arch = backbone.get('arch', 'base')
    settings = ARCH_SETTINGS.get(arch) if isinstance(arch, str) else arch
    if not settings or 'embed_dims' not in settings:
        raise CheckpointError(f'backbone arch={arch!r} is not one of {sorted(ARCH_SETTINGS)} or a dict with '
                              'embed_dims and num_layers')
    return int(settings['embed_dims']), int(settings['num_layers'])


def official_file_of(config: str) -> Optional[OfficialFile]:
    """The file ``config`` loads from ``checkpoint_dir``, or None (no pre-trained init there)."""
    match = NAME_PATTERN.search(osp.basename(config))
    if match is None:
        return None
    cfg = Config.fromfile(config)
    backbone = cfg.get('model', {}).get('backbone', {})
    init_cfg = backbone.get('init_cfg') or {}
    checkpoint_dir = cfg.get('checkpoint_dir')
    if not isinstance(init_cfg, dict) or init_cfg.get('type') != 'Pretrained' or not checkpoint_dir:
        return None
    path = str(init_cfg['checkpoint'])
    if not path.startswith(checkpoint_dir):
        return None  # e.g. a checkpoint of a local pre-training run
    name = path[len(checkpoint_dir):].lstrip('/')
    urls = _header_urls(config)
    # a single file has a suffix; a folder release (a Hugging Face repo) is fetched by hand
    url = next((u for u in urls if u.endswith('/' + name)), None) if '.' in name else None
    width, depth = _arch(backbone)
    return OfficialFile(name=name, url=url, page=urls[0] if urls else None, init=match['init'],
                        size=match['size'], format=init_cfg.get('format', 'auto'),
                        discard=tuple(init_cfg.get('discard', ())), width=width, depth=depth, configs=[config])


def official_files(config_root: str) -> Dict[str, OfficialFile]:
    """File name -> :class:`OfficialFile` for every detector config one folder below ``config_root``."""
    files: Dict[str, OfficialFile] = {}
    for config in sorted(glob.glob(osp.join(config_root, '*', 'mask-rcnn_*.py'))):
        found = official_file_of(config)
        if found is None:
            continue
        if found.name in files:
            files[found.name].configs.append(config)
            files[found.name].url = files[found.name].url or found.url
        else:
            files[found.name] = found
    return files


def verify_official_file(path: str, expected: OfficialFile) -> str:
    """Read ``path`` as the configs will and check the ViT's width and depth; a one-line summary.

    Raises :class:`CheckpointError` (or the loader's error) when the file is not that checkpoint.
    """
    ckpt = read_checkpoint(path, format=expected.format, discard=expected.discard)
    patch = ckpt.weights.get('patch_embed.proj.weight')
    width = int(patch.shape[0]) if isinstance(patch, torch.Tensor) else None
    depth = len({k.split('.')[1] for k in ckpt.weights if k.startswith('blocks.')})
    if (width, depth) != (expected.width, expected.depth):
        raise CheckpointError(
            f'{path}: a ViT of width {width} and depth {depth} ({ckpt.format} layout), but '
            f'{osp.basename(expected.configs[0])} needs width {expected.width} and depth {expected.depth}: '
            f'the file is not {expected.name} of {expected.url or expected.page}; delete it and fetch it again')
    return f'{ckpt.format} layout, width {width}, depth {depth}'
