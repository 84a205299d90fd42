"""``GpuCheckProbeHook``: what a distributed training run really used, written as JSON after training.

Records the process group's backend and size, how many SyncBatchNorm layers the wrapped model holds, the optim
wrapper and its autocast dtype, every iteration's loss and time, and the allocator's peak.
"""
import json
import math
import os
import time
from typing import List, Optional

import torch
from mmengine.hooks import Hook
from mmdet.registry import HOOKS


@HOOKS.register_module()
class GpuCheckProbeHook(Hook):
    """Args: out_file: where rank 0 writes the JSON record."""

    priority = 'VERY_LOW'

    def __init__(self, out_file: str):
        self.out_file = out_file
        self.losses: List[float] = []
        self.times: List[float] = []
        self._start: Optional[float] = None

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        if torch.cuda.is_available():
            torch.cuda.synchronize()
        self._start = time.perf_counter()

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None):
        if torch.cuda.is_available():
            torch.cuda.synchronize()
        self.times.append(time.perf_counter() - self._start)
        self.losses.append(float(outputs['loss']))

    def after_train(self, runner):
        dist = torch.distributed
        model = runner.model
        wrapper = runner.optim_wrapper
        record = dict(
            backend=dist.get_backend() if dist.is_initialized() else 'none',
            world_size=dist.get_world_size() if dist.is_initialized() else 1,
            model_wrapper=type(model).__name__,
            sync_bn_modules=sum(isinstance(m, torch.nn.SyncBatchNorm) for m in model.modules()),
            bn_modules=sum(isinstance(m, torch.nn.modules.batchnorm._BatchNorm) for m in model.modules()),
            optim_wrapper=type(wrapper).__name__,
            amp_dtype=str(getattr(wrapper, 'cast_dtype', None)).replace('torch.', ''),
            iters=len(self.losses), losses=self.losses, iter_seconds=self.times,
            losses_finite=all(math.isfinite(v) for v in self.losses),
            max_allocated_gib=torch.cuda.max_memory_allocated() / 2**30 if torch.cuda.is_available() else None)
        if runner.rank == 0:
            tmp = self.out_file + '.tmp'
            with open(tmp, 'w') as f:
                json.dump(record, f)
            os.replace(tmp, self.out_file)
