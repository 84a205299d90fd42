"""``tools/train.py --vis-backend NAME ...``: mmengine's experiment-tracking backends by short name.

mmengine's ``--cfg-options visualizer.vis_backends="[dict(type=...)]"`` parses each ``dict(...)`` as a string,
so the switch is a flag. The local backend (``vis_data/scalars.json``, which tools/analysis reads) always stays.
"""
from typing import List, Sequence

VIS_BACKENDS = {  # short name -> mmengine backend type (each needs its package: tensorboard, wandb, mlflow, ...)
    'tensorboard': 'TensorboardVisBackend',
    'wandb': 'WandbVisBackend',
    'mlflow': 'MLflowVisBackend',
    'clearml': 'ClearMLVisBackend',
    'neptune': 'NeptuneVisBackend',
    'dvclive': 'DVCLiveVisBackend',
    'aim': 'AimVisBackend',
}


def vis_backends_for(names: Sequence[str]) -> List[dict]:
    """[LocalVisBackend, then one backend per name] for ``visualizer.vis_backends``."""
    return [dict(type='LocalVisBackend')] + [dict(type=VIS_BACKENDS[n]) for n in names if n != 'local']
