"""A test-only hook (imported through custom_imports in tests/test_dist_train.py): after every epoch's hooks ran,
each rank writes the sum of its BN running statistics, to compare ranks with the saved checkpoint."""
import json
import os

import torch
from mmengine.hooks import Hook
from mmengine.registry import HOOKS


@HOOKS.register_module()
class BNStatsProbeHook(Hook):
    priority = 'LOWEST'  # after SyncBuffersHook and CheckpointHook

    def after_train_epoch(self, runner) -> None:
        model = runner.model.module if hasattr(runner.model, 'module') else runner.model
        stats = {name: float(buf.double().sum()) for name, buf in model.named_buffers() if 'running_' in name}
        with open(os.path.join(runner.work_dir, f'bn_stats_rank{runner.rank}.json'), 'w') as f:
            json.dump(stats, f)
        torch.distributed.barrier() if torch.distributed.is_initialized() else None
