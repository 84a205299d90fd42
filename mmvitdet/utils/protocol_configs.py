"""The protocol and detector siblings of every init's fine-tuning config (``tools/misc/protocol_configs.py``).

An init's facts (file, format, mean/std, block options, position rules, its recipe) are stated once, in its
fine-tuning Mask R-CNN config ``configs/<init>/mask-rcnn_vit-<size>-<init>_fpn_lsj-<E>e_coco.py``. Every other
protocol x detector is a short config beside it that inherits it and applies one protocol base
(``configs/_base_/protocols/``) and / or one detector base (``configs/_base_/detectors/``), whose variables have
names of their own so mmengine can merge them with the init config:

- ``mask-rcnn_vit-<size>-<init>-frozen_fpn_lsj-36e_coco.py``: frozen backbone, Mask R-CNN;
- ``cascade-mask-rcnn_vit-<size>-<init>_fpn_lsj-<E>e_coco.py``: full fine-tuning, Cascade Mask R-CNN;
- ``cascade-mask-rcnn_vit-<size>-<init>-frozen_fpn_lsj-36e_coco.py``: frozen backbone, Cascade Mask R-CNN;
- ``configs/grids/<init>_vit-<size>_frozen.py``: the frozen track's lr x weight decay grid for tools/sweep.py;
- ``configs/vitdet/cascade-mask-rcnn_vit-<size>-<init>_sfp_lsj-<E>e_coco.py``: ViTDet's recipe with Cascade (LN heads).
"""
import glob
import os.path as osp
import re
from typing import Dict

from ..analysis.run_identity import INIT_LABELS

FINE_TUNING = re.compile(r'^mask-rcnn_vit-(?P<size>[a-z]+(?:-plus)?)-(?P<init>[a-z0-9]+(?:-core)?)_fpn_'
                         r'lsj-(?P<epochs>\d+)e_coco\.py$')
VITDET = re.compile(r'^mask-rcnn_vit-(?P<size>[a-z]+)-(?P<init>[a-z0-9]+)_sfp_lsj-\d+e_coco\.py$')  # configs/vitdet: ViTDet's recipe
FROZEN_EPOCHS = 36


def init_name(config_init: str) -> str:
    """The init as run identity names it ('pe-core' in config names is 'pe')."""
    return 'pe' if config_init == 'pe-core' else config_init

FROZEN = '''\
# {title}: frozen-backbone protocol (configs/_base_/protocols/frozen_lsj-36e.py), Mask R-CNN.
# The init's facts: {source}.
# Written by tools/misc/protocol_configs.py.
_base_ = [
    './{source}',
    '../_base_/protocols/frozen_lsj-36e.py',
]
model = dict(backbone=_base_.frozen_backbone)
train_cfg = _base_.frozen_train_cfg
param_scheduler = _base_.frozen_param_scheduler
optim_wrapper = dict(optimizer=_base_.frozen_optimizer)
'''
GRID = '''\
# The frozen-backbone grid (_base_/frozen.py) for {title}.
# Written by tools/misc/protocol_configs.py.
_base_ = './_base_/frozen.py'
name = '{name}'
config = '../{folder}/{frozen}'
'''
CASCADE = '''\
# {title}: {protocol}, Cascade Mask R-CNN
# (configs/_base_/detectors/cascade-mask-rcnn_4conv1fc-{norm}.py: detectron2 ViTDet's cascade heads).
# The init's facts and recipe: {facts}.
# Written by tools/misc/protocol_configs.py.
_base_ = [
    './{source}',
    '../_base_/detectors/cascade-mask-rcnn_4conv1fc-{norm}.py',
]
model = dict(roi_head=_base_.cascade_roi_head, train_cfg=dict(rcnn=_base_.cascade_rcnn_train_cfg))
'''


def sibling_configs(config_root: str) -> Dict[str, str]:
    """{path: text} of every protocol / detector sibling (and frozen grid) the fine-tuning configs under
    ``config_root`` call for."""
    out = {}
    for path in sorted(glob.glob(osp.join(config_root, '*', 'mask-rcnn_vit-*_fpn_lsj-*e_coco.py'))):
        folder, name = osp.split(path)
        match = FINE_TUNING.match(name)
        if match is None or osp.basename(folder) in ('ablations', 'grids'):
            continue
        size, init, epochs = match['size'], match['init'], match['epochs']
        title = f'{INIT_LABELS.get(init_name(init), init)} ViT-{size.upper().replace("-PLUS", "+")}'
        frozen = f'mask-rcnn_vit-{size}-{init}-frozen_fpn_lsj-{FROZEN_EPOCHS}e_coco.py'
        out[osp.join(folder, frozen)] = FROZEN.format(title=title, source=name)
        out[osp.join(folder, f'cascade-mask-rcnn_vit-{size}-{init}_fpn_lsj-{epochs}e_coco.py')] = CASCADE.format(
            title=title, protocol='full fine-tuning', facts=name, source=name, norm='bn')
        out[osp.join(folder, f'cascade-{frozen}')] = CASCADE.format(
            title=title, protocol='frozen backbone', facts=f'{name};\n# frozen by {frozen}', source=frozen,
            norm='bn')
        run_name = f'{init_name(init)}_vit-{size}_frozen'
        out[osp.join(config_root, 'grids', f'{run_name}.py')] = GRID.format(
            title=title, name=run_name, folder=osp.basename(folder), frozen=frozen)
    for path in sorted(glob.glob(osp.join(config_root, 'vitdet', 'mask-rcnn_vit-*_sfp_lsj-*e_coco.py'))):
        name = osp.basename(path)
        match = VITDET.match(name)
        if match:  # ViTDet's recipe: its Cascade has LN box heads
            title = f"{INIT_LABELS.get(match['init'], match['init'])} ViT-{match['size'].upper()}, ViTDet's recipe"
            out[osp.join(osp.dirname(path), f'cascade-{name}')] = CASCADE.format(
                title=title, protocol='full fine-tuning', facts=name, source=name, norm='ln')
    return out
