"""Strict loading of a trained detector's checkpoint for evaluation and inference.

mmengine loads ``load_from`` non-strictly: a checkpoint of 3 classes into a 5-class config leaves the mis-shaped
heads at their random init with a warning, and tools/test.py then evaluates random heads. Here every tensor the
model has must come from the file with its shape, and the file may hold nothing the model lacks; otherwise one
:class:`DetectorCheckpointMismatch` names the first keys and the likely cause. ``allow_partial=True`` loads what fits
and logs what stays random.
"""
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional

import torch
from torch import nn

from .checkpoint_loading import CheckpointLoadError, load_checkpoint_file

SHOWN = 3  # keys named per kind of mismatch


class DetectorCheckpointMismatch(CheckpointLoadError):
    """A detector checkpoint does not fit the model its config builds."""


@dataclass
class Mismatch:
    """Keys of a state dict that do not fit a model."""
    missing: List[str] = field(default_factory=list)  # the model has them, the file does not
    unexpected: List[str] = field(default_factory=list)  # the file has them, the model does not
    shapes: Dict[str, tuple] = field(default_factory=dict)  # key -> (file shape, model shape)

    def __bool__(self) -> bool:
        return bool(self.missing or self.unexpected or self.shapes)

    def random_tensors(self) -> List[str]:
        """The model's tensors a partial load leaves at their initial values."""
        return self.missing + list(self.shapes)


def model_state(state: Dict[str, torch.Tensor]) -> Dict[str, torch.Tensor]:
    """The weights of an mmengine checkpoint (or a bare state dict), without a DDP ``module.`` prefix."""
    state = state.get('state_dict', state)
    if state and all(k.startswith('module.') for k in state):
        state = {k[len('module.'):]: v for k, v in state.items()}
    return state


def compare(model: nn.Module, state: Dict[str, torch.Tensor]) -> Mismatch:
    expected = model.state_dict()
    mismatch = Mismatch(missing=[k for k in expected if k not in state],
                        unexpected=[k for k in state if k not in expected])
    for key, tensor in expected.items():
        if key in state and tuple(state[key].shape) != tuple(tensor.shape):
            mismatch.shapes[key] = (tuple(state[key].shape), tuple(tensor.shape))
    return mismatch


def _class_counts(shapes: Dict[str, tuple]) -> Optional[tuple]:
    """(file, config) class counts read from a mis-shaped classifier: mmdet's softmax ``fc_cls`` has one row per
    class plus background, the mask head's ``conv_logits`` one channel per class."""
    for key, (found, wanted) in shapes.items():
        if key.endswith('conv_logits.weight'):
            return found[0], wanted[0]
    for key, (found, wanted) in shapes.items():
        if key.endswith('fc_cls.weight'):
            return found[0] - 1, wanted[0] - 1
    return None


def mismatch_message(path: str, mismatch: Mismatch) -> str:
    parts = []
    counts = _class_counts(mismatch.shapes)
    if counts is not None:
        parts.append(f'checkpoint has {counts[0]} classes, config {counts[1]}: evaluate with the config it was trained '
                     'with (its work dir keeps a copy), or set the classes / num_classes of that data')
    if mismatch.shapes:
        shown = '; '.join(f'{k} {list(a)} in the file, {list(b)} in the model'
                          for k, (a, b) in list(mismatch.shapes.items())[:SHOWN])
        parts.append(f'{len(mismatch.shapes)} tensor(s) differ in shape ({shown})')
    if mismatch.missing:
        parts.append(f'{len(mismatch.missing)} tensor(s) of the model are not in the file '
                     f'({", ".join(mismatch.missing[:SHOWN])})')
    if mismatch.unexpected:
        parts.append(f'{len(mismatch.unexpected)} tensor(s) of the file are not in the model '
                     f'({", ".join(mismatch.unexpected[:SHOWN])})')
    if counts is None:
        parts.append('the checkpoint was trained with another config (model, detector or backbone size), or it is a '
                     'pre-trained backbone file, not a detector (those go to model.backbone.init_cfg)')
    return (f'checkpoint {path} does not fit the model of this config: ' + '; '.join(parts) +
            '. --allow-partial loads what fits and leaves the rest random')


def load_detector_checkpoint(model: nn.Module, path: str, allow_partial: bool = False,
                             log: Callable[[str], None] = print) -> dict:
    """Load ``path`` into ``model`` (unwrapped), strictly unless ``allow_partial``; returns the checkpoint dict.

    Raises:
        DetectorCheckpointMismatch: missing, unexpected or mis-shaped tensors (and not ``allow_partial``).
    """
    checkpoint = load_checkpoint_file(path, map_location='cpu')
    if not isinstance(checkpoint, dict):
        raise DetectorCheckpointMismatch(f'checkpoint {path} holds a {type(checkpoint).__name__}, not a state dict')
    state = model_state(checkpoint)
    mismatch = compare(model, state)
    if mismatch and not allow_partial:
        raise DetectorCheckpointMismatch(mismatch_message(path, mismatch))
    fitting = {k: v for k, v in state.items() if k not in mismatch.shapes and k not in mismatch.unexpected}
    model.load_state_dict(fitting, strict=False)
    if mismatch:
        random = mismatch.random_tensors()
        log(f'--allow-partial: loaded {len(fitting)} tensors of {path}; {len(random)} stay at their initial (random) '
            f'values: {", ".join(random[:10])}{", ..." if len(random) > 10 else ""}'
            + (f'; {len(mismatch.unexpected)} of the file unused' if mismatch.unexpected else ''))
    return checkpoint
