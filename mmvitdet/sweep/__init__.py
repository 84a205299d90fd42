"""Hyper-parameter sweeps over the paper's search spaces (library of tools/sweep.py).

A grid file (configs/grids/) names a base config and the values of lr, weight
decay, drop path and the schedule length; each combination is a run with a
readable name and a derived config that inherits the base config.
"""
from .grid import AXES, Grid, GridError, Run, format_value, load_grid, run_name
from .launch import dist_command, local_command, slurm_array_script
from .next_stage import NextStage, plan_next_stage, write_grid
from .results import RunState, best_metric, read_metrics, run_state
from .run_config import derive_config_text, retime_schedule, write_run_config

__all__ = [
    'AXES', 'Grid', 'GridError', 'Run', 'format_value', 'load_grid', 'run_name', 'dist_command',
    'local_command', 'slurm_array_script', 'NextStage', 'plan_next_stage', 'write_grid', 'RunState',
    'best_metric', 'read_metrics', 'run_state', 'derive_config_text', 'retime_schedule',
    'write_run_config'
]
