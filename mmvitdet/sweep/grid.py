"""A search grid loaded from a grid file, expanded into named runs."""
import itertools
import os.path as osp
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple

from mmengine.config import Config

from ..errors import UserInputError

# Searchable axes: the config key each sets and its tag in run names.
AXES: Dict[str, Tuple[str, str]] = {
    'lr': ('optim_wrapper.optimizer.lr', 'lr'),
    'weight_decay': ('optim_wrapper.optimizer.weight_decay', 'wd'),
    'drop_path': ('model.backbone.drop_path_rate', 'dp'),
}
STEP_KINDS = ('mul', 'add')
REQUIRED = ('name', 'config', 'stage', 'epochs', 'search')


class GridError(UserInputError, ValueError):
    """A grid file is malformed; the message names the file, the key and the fix."""


def format_value(axis: str, value: float) -> str:
    """Run-name text of a value: lr in scientific notation (8e-05, 1.6e-04), others as floats (0.1)."""
    value = round(float(value), 12)
    if axis == 'lr':
        mantissa, exponent = f'{value:e}'.split('e')
        return f"{mantissa.rstrip('0').rstrip('.')}e{exponent}"
    return repr(value)


def run_name(prefix: str, values: Dict[str, float], epochs: int) -> str:
    """E.g. ``mae_vit-b_lr8e-05_wd0.1_dp0.0_25e``: every axis, in AXES order, then the length."""
    parts = [prefix] + [AXES[a][1] + format_value(a, values[a]) for a in AXES]
    return '_'.join(parts) + f'_{epochs}e'


@dataclass(frozen=True)
class Run:
    """One point of a grid: ``values`` has every axis of AXES."""
    name: str
    values: Dict[str, float]
    epochs: int


@dataclass
class Grid:
    """A grid file's content.

    Attributes:
        path: the grid file.
        name: run-name prefix, e.g. 'mae_vit-b'; runs live in <work root>/<name>/.
        config: absolute path of the config every run inherits.
        stage: 1 (lr x wd at dp 0) or 2 (drop path), as in the paper's protocol.
        epochs: schedule length of every run.
        search: values per axis (every axis of AXES, one value for a fixed one).
        steps: per axis ('mul', f) or ('add', d): how --next-stage extends an edge.
        next_stage: optional dict(stage, epochs, search) written by --next-stage
            once the best point is inside the grid (its missing axes take the best values).
    """
    path: str
    name: str
    config: str
    stage: int
    epochs: int
    search: Dict[str, List[float]]
    steps: Dict[str, Tuple[str, float]] = field(default_factory=dict)
    next_stage: Optional[dict] = None

    def runs(self) -> List[Run]:
        """Every combination, lr varying slowest (AXES order)."""
        axes = list(AXES)
        return [
            Run(run_name(self.name, dict(zip(axes, combo)), self.epochs), dict(zip(axes, combo)), self.epochs)
            for combo in itertools.product(*(self.search[a] for a in axes))
        ]


def _check_values(path: str, key: str, values) -> List[float]:
    if not isinstance(values, (list, tuple)) or not values:
        raise GridError(f'{path}: {key} must be a non-empty list of numbers, got {values!r}')
    try:
        out = [round(float(v), 12) for v in values]
    except (TypeError, ValueError):
        raise GridError(f'{path}: {key} must be a list of numbers, got {values!r}') from None
    if len(set(out)) != len(out):
        raise GridError(f'{path}: {key}={values} has duplicates')
    if any(v < 0 for v in out):
        raise GridError(f'{path}: {key}={values} has negative values')
    return sorted(out)


def check_search(path: str, search, key: str = 'search') -> Dict[str, List[float]]:
    """Validate a search dict: only AXES keys, non-empty lists of numbers >= 0 (sorted on return)."""
    if not isinstance(search, dict):
        raise GridError(f'{path}: {key} must be a dict of axis -> list of values, got {search!r}')
    unknown = sorted(set(search) - set(AXES))
    if unknown:
        raise GridError(f'{path}: {key} has unknown axes {unknown}; searchable axes: {list(AXES)}')
    return {a: _check_values(path, f'{key}.{a}', v) for a, v in search.items()}


def _check_steps(path: str, steps) -> Dict[str, Tuple[str, float]]:
    out = {}
    for axis, step in (steps or {}).items():
        if axis not in AXES or not isinstance(step, (list, tuple)) or len(step) != 2 \
                or step[0] not in STEP_KINDS or not float(step[1]) > 0:
            raise GridError(f"{path}: steps.{axis}={step!r}: expected an axis of {list(AXES)} mapped to "
                            "('mul', factor > 1) or ('add', delta > 0)")
        if step[0] == 'mul' and float(step[1]) <= 1:
            raise GridError(f"{path}: steps.{axis}={step!r}: a 'mul' step needs a factor > 1")
        out[axis] = (step[0], float(step[1]))
    return out


def _check_epochs(path: str, key: str, epochs) -> int:
    if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 1:
        raise GridError(f'{path}: {key} must be a whole number of epochs >= 1, got {epochs!r}')
    return epochs


def load_grid(path: str) -> Grid:
    """Read a grid file (an mmengine config of plain data, ``_base_`` allowed)."""
    if not osp.isfile(path):
        raise GridError(f'grid file {path} does not exist (the paper\'s grids are in configs/grids/)')
    cfg = Config.fromfile(path).to_dict()
    missing = [k for k in REQUIRED if k not in cfg]
    if missing:
        raise GridError(f'{path}: missing {missing}; a grid needs {list(REQUIRED)} '
                        '(see configs/grids/_base_/paper_stage1.py)')
    name = cfg['name']
    if not isinstance(name, str) or not name or '/' in name or ' ' in name:
        raise GridError(f'{path}: name={name!r} must be a non-empty run-name prefix without "/" or spaces')
    config = cfg['config']
    if not osp.isabs(config):
        config = osp.normpath(osp.join(osp.dirname(osp.abspath(path)), config))
    if not osp.isfile(config):
        raise GridError(f"{path}: config='{cfg['config']}' (resolved: {config}) does not exist; "
                        'give the base config relative to the grid file or as an absolute path')
    search = check_search(path, cfg['search'])
    absent = [a for a in AXES if a not in search]
    if absent:
        raise GridError(f'{path}: search lacks {absent}; give every axis of {list(AXES)} '
                        '(a one-value list for a fixed one)')
    nxt = cfg.get('next_stage')
    if nxt is not None:
        if not isinstance(nxt, dict) or not {'stage', 'epochs', 'search'} <= set(nxt):
            raise GridError(f'{path}: next_stage must be dict(stage=..., epochs=..., search=dict(...)), got {nxt!r}')
        nxt = dict(nxt, epochs=_check_epochs(path, 'next_stage.epochs', nxt['epochs']),
                   search=check_search(path, nxt['search'], 'next_stage.search'))
    return Grid(path=osp.abspath(path), name=name, config=config, stage=int(cfg['stage']),
                epochs=_check_epochs(path, 'epochs', cfg['epochs']), search=search,
                steps=_check_steps(path, cfg.get('steps')), next_stage=nxt)
