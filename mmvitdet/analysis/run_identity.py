"""What experiment a dumped config describes: init, size, schedule, hyper-parameters, variant.

Read from the config itself (not from the folder name, which a user may choose freely):
the backbone arch, its ``init_cfg`` (checkpoint file and format), the optimizer's lr and
weight decay, the drop path rate, the schedule length, the protocol (fine-tuned or frozen
backbone) and the detector (Mask R-CNN or Cascade Mask R-CNN). ``variant`` names every way the
detector departs from the paper's design (4 global blocks, abs + shared rel position, the
resolution adapter + FPN); it is empty for the paper's detector.
"""
import os.path as osp
import re
from dataclasses import dataclass
from typing import Any, Dict, Optional, Tuple

PAPER_INITS = ('supervised', 'random', 'mocov3', 'beit', 'mae')  # the paper's row order
# Inits beyond the paper (configs/{dino,dinov2,clip,siglip,sam}/ and the 2025-26 releases
# configs/{dinov3,eva02,pe,aimv2,siglip2}/), after the paper's five.
NEW_INITS = ('dino', 'ibot', 'dinov2', 'clip', 'siglip', 'sam', 'dinov3', 'eva02', 'pe', 'aimv2', 'siglip2',
             'own')  # 'own': configs/own_init/, a user's pre-trained file (the checkpoint column names it)
INITS = PAPER_INITS + NEW_INITS
INIT_LABELS = {'supervised': 'supervised (IN1k)', 'random': 'random', 'mocov3': 'MoCo v3',
               'beit': 'BEiT', 'mae': 'MAE', 'dino': 'DINO', 'ibot': 'iBOT', 'dinov2': 'DINOv2',
               'clip': 'CLIP', 'siglip': 'SigLIP', 'sam': 'SAM', 'dinov3': 'DINOv3', 'eva02': 'EVA-02',
               'pe': 'PE-Core', 'aimv2': 'AIMv2', 'siglip2': 'SigLIP 2', 'own': 'own ViT'}
SIZES = {768: 'B', 1024: 'L', 1280: 'H', 1536: 'H', 384: 'S', 192: 'T'}  # 1536: AIMv2-H
ARCH_SIZES = {'base': 'B', 'large': 'L', 'huge': 'H', 'b': 'B', 'l': 'L', 'h': 'H'}
# Checkpoint formats that name their pre-training (mmvitdet.checkpoints.FORMATS). Not these:
# 'dino' (DINO and iBOT files), 'hf_clip' (CLIP and SigLIP), 'timm' / 'hf_vit' (many inits).
FORMAT_INITS = {'mae': 'mae', 'mocov3': 'mocov3', 'beit': 'beit', 'dinov2': 'dinov2',
                'clip': 'clip', 'sam': 'sam', 'dinov3': 'dinov3', 'hf_dinov3': 'dinov3', 'eva02': 'eva02',
                'pe_core': 'pe', 'aimv2': 'aimv2', 'hf_aimv2': 'aimv2'}
# Words in a checkpoint or config file name, searched in this order (longer names first:
# 'dinov2' before 'dino', 'siglip' before 'clip').
NAME_INITS = (('mocov3', 'mocov3'), ('moco', 'mocov3'), ('beit', 'beit'), ('dinov3', 'dinov3'),
              ('dinov2', 'dinov2'), ('dino', 'dino'), ('ibot', 'ibot'), ('siglip2', 'siglip2'),
              ('siglip', 'siglip'), ('eva02', 'eva02'), ('pe-core', 'pe'), ('aimv2', 'aimv2'),
              ('sam_vit', 'sam'), ('clip', 'clip'),
              ('mae', 'mae'), ('supervised', 'supervised'), ('deit', 'supervised'),
              ('random', 'random'), ('scratch', 'random'))
CONFIG_NAME = re.compile(r'vit-[a-z]+(?:-plus)?-(' + '|'.join(INITS) + r')[-_]')


@dataclass(frozen=True)
class RunIdentity:
    init: str  # one of INITS, or 'unknown'
    size: str  # 'B', 'L', ... or '<width>d'
    schedule: int  # max_epochs, or max_iters when by_epoch is False
    by_epoch: bool
    lr: Optional[float]
    wd: Optional[float]
    dp: Optional[float]
    variant: str  # '' for the paper's detector
    checkpoint: Optional[str]  # pre-trained file name (basename)
    init_source: str  # how ``init`` was determined
    protocol: str = 'full'  # 'full' fine-tuning, 'frozen' backbone, 'frozen-<k>' (first k blocks)
    detector: str = 'mask-rcnn'  # or 'cascade-mask-rcnn'

    @property
    def setting(self) -> str:
        """Protocol and detector where they are not the paper's ('' for full fine-tuning of Mask R-CNN)."""
        return ', '.join(p for p in (self.protocol if self.protocol != 'full' else '',
                                     'cascade' if self.detector == 'cascade-mask-rcnn' else '') if p)

    @property
    def schedule_label(self) -> str:
        return f'{self.schedule}e' if self.by_epoch else f'{self.schedule}it'


def _get(cfg: Any, dotted: str, default=None):
    node = cfg
    for part in dotted.split('.'):
        if not isinstance(node, dict) or part not in node:
            return default
        node = node[part]
    return node


def pretrained_entry(backbone: Dict) -> Optional[Dict]:
    """The ``Pretrained`` entry of a backbone's init_cfg (dict or list), else None."""
    init_cfg = backbone.get('init_cfg')
    entries = init_cfg if isinstance(init_cfg, (list, tuple)) else [init_cfg]
    for entry in entries:
        if isinstance(entry, dict) and entry.get('type') == 'Pretrained':
            return entry
    return None


def _init_from_name(name: str) -> Optional[str]:
    low = name.lower()
    for word, init in NAME_INITS:
        if word in low:
            return init
    return None


def identify_init(backbone: Dict, config_name: str = '') -> Tuple[str, str, Optional[str]]:
    """(init, how it was determined, checkpoint basename) from a backbone config."""
    entry = pretrained_entry(backbone)
    if entry is None:
        return 'random', 'no Pretrained init_cfg', None
    ckpt = osp.basename(str(entry.get('checkpoint', '')))
    fmt = entry.get('format', 'auto')
    if fmt in FORMAT_INITS:
        return FORMAT_INITS[fmt], f'init_cfg format={fmt!r}', ckpt
    by_file = _init_from_name(ckpt)
    if by_file is not None and by_file != 'random':
        return by_file, f'checkpoint name {ckpt}', ckpt
    match = CONFIG_NAME.search(osp.basename(config_name))
    if match and match.group(1) != 'random':
        return match.group(1), f'config name {osp.basename(config_name)}', ckpt
    return 'unknown', f'checkpoint {ckpt!r} (format {fmt!r}) names no init', ckpt


def identify_size(backbone: Dict) -> str:
    arch = backbone.get('arch', 'base')
    if isinstance(arch, str):
        return ARCH_SIZES.get(arch.lower(), arch)
    width = arch.get('embed_dims')
    return SIZES.get(width, f'{width}d')


def _num_layers(backbone: Dict) -> Optional[int]:
    arch = backbone.get('arch', 'base')
    if isinstance(arch, dict):
        return arch.get('num_layers')
    return {'B': 12, 'L': 24, 'H': 32}.get(ARCH_SIZES.get(str(arch).lower(), ''))


def describe_variant(model: Dict) -> str:
    """Departures from the paper's detector, comma separated ('' for none).

    Activation checkpointing (``with_cp``) is not one: it changes cost, not the model.
    """
    backbone = model.get('backbone', {})
    parts = []
    depth = _num_layers(backbone)
    if backbone.get('window_size', 14) == 0:
        parts.append('all-global')
    else:
        glob = backbone.get('global_attn_indices')
        n_global = 4 if glob is None else len(glob)
        if n_global == 0:
            parts.append('all-window')
        elif depth is not None and n_global == depth:
            parts.append('all-global')
        elif n_global != 4:
            parts.append(f'{n_global}-global')
    # RoPE is a release's own position (DINOv3 has no abs embedding): not a departure
    abs_pos = backbone.get('use_abs_pos_embed', True) or bool(backbone.get('rope'))
    if (backbone.get('rope') or {}).get('window_coords', 'window') != 'window':
        parts.append('rope-image-coords')
    rel_pos = backbone.get('use_rel_pos_bias', False)
    if not abs_pos and not rel_pos:
        parts.append('no-pos')
    elif not rel_pos:
        parts.append('abs-only')
    elif not abs_pos:
        parts.append('rel-only')
    elif rel_pos != 'shared':
        parts.append(f'rel-{rel_pos}')
    entry = pretrained_entry(backbone) or {}
    if entry.get('discard'):
        parts.append('discard ' + '+'.join(entry['discard']))
    if backbone.get('patch_size', 16) != 16:  # e.g. a native patch-14 ViT (ablations/patch14)
        parts.append(f"patch {backbone['patch_size']}")
    necks = model.get('neck', [])
    necks = necks if isinstance(necks, (list, tuple)) else [necks]
    # Taps resampled to stride 16 before the paper's neck: part of the patch-size change above.
    necks = [n for n in necks if not (isinstance(n, dict) and n.get('type') == 'StrideResample')]
    neck_types = [n.get('type') for n in necks if isinstance(n, dict)]
    if 'SimpleFeaturePyramid' in neck_types:
        parts.append('simple-pyramid')
    elif neck_types != ['ResolutionAdapter', 'FPN']:
        parts.append('neck ' + '+'.join(map(str, neck_types)))
    elif len(_get(necks[0], 'scale_factors', (4.0, 2.0, 1.0, 0.5))) == 1:
        parts.append('single-scale')
    return ', '.join(parts)


def identify_protocol(backbone: Dict) -> str:
    """'full', 'frozen' (every backbone tensor) or 'frozen-<k>' (the embeddings and the first k blocks)."""
    frozen = backbone.get('frozen_stages', -1)
    if frozen == 'all' or (frozen is not None and frozen == _num_layers(backbone)):
        return 'frozen'
    return f'frozen-{frozen}' if isinstance(frozen, int) and frozen >= 0 else 'full'


def identify_detector(model: Dict) -> str:
    roi_type = str(_get(model, 'roi_head.type', ''))
    return 'cascade-mask-rcnn' if 'Cascade' in roi_type else 'mask-rcnn'


def describe_recipe(cfg: Dict) -> str:
    """Optimization departures from the 2021 recipe (layer-wise lr decay), '' for none."""
    rate = _get(cfg, 'optim_wrapper.paramwise_cfg.layer_decay_rate')
    return f'layer-decay {rate:g}' if rate is not None else ''


def identify_run(cfg: Dict, config_name: str = '') -> RunIdentity:
    """The identity of the experiment described by the (dumped) config ``cfg``."""
    model = cfg.get('model', {})
    backbone = model.get('backbone', {})
    init, source, ckpt = identify_init(backbone, config_name)
    train_cfg = cfg.get('train_cfg', {}) or {}
    by_epoch = 'max_epochs' in train_cfg
    schedule = train_cfg.get('max_epochs') if by_epoch else train_cfg.get('max_iters')
    optim = _get(cfg, 'optim_wrapper.optimizer', {}) or {}
    return RunIdentity(
        init=init, size=identify_size(backbone), schedule=int(schedule or 0), by_epoch=by_epoch,
        lr=optim.get('lr'), wd=optim.get('weight_decay'), dp=backbone.get('drop_path_rate'),
        variant=', '.join(p for p in (describe_variant(model), describe_recipe(cfg)) if p),
        checkpoint=ckpt, init_source=source, protocol=identify_protocol(backbone),
        detector=identify_detector(model))
