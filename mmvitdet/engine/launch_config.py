"""Config preparation shared by tools/train.py and tools/test.py (mmdet's tool behaviour, plus a CPU fallback).

mmdet 3.3 keeps this logic inside its tools/ scripts, which it does not install as a package, hence this module.
On a machine without CUDA, mmengine 0.10.7 would pick the nccl backend, call ``torch.cuda.set_device`` while
initializing a distributed run and give DDP ``device_ids``, SyncBN has no CPU kernel, and ``AmpOptimWrapper`` asserts
that CUDA is present: :func:`adapt_to_cpu` switches to gloo, plain DDP, BN and fp32, logging each change.
"""
import datetime
import os
import os.path as osp
from typing import Any, List, Optional

import torch
from mmengine.config import Config
from mmengine.logging import print_log

from ..errors import ConfigNotFoundError
from ..datasets.own_data import apply_own_data

SYNC_BN_TYPES = ('SyncBN', 'MMSyncBN', 'SyncBatchNorm', torch.nn.SyncBatchNorm)
AMP_OPTIM_WRAPPER = 'AmpOptimWrapper'


def load_launch_config(config: str,
                       cfg_options: Optional[dict] = None,
                       work_dir: Optional[str] = None,
                       launcher: str = 'none',
                       amp: bool = False) -> Config:
    """Load ``config`` like mmdet's tools do.

    ``--cfg-options`` are merged, then ``own_data`` applied (:func:`mmvitdet.datasets.own_data.apply_own_data`);
    ``work_dir`` comes from the command line, else the config, else ``./work_dirs/<config file stem>``;
    ``amp`` (``--amp``) selects mmengine's ``AmpOptimWrapper`` with a dynamic
    loss scale. On a machine without CUDA the config is passed through :func:`adapt_to_cpu` (fp32, gloo, BN).
    """
    if not osp.isfile(config):
        raise ConfigNotFoundError(f'config file {config} does not exist (give the path of a .py config, e.g. '
                                'configs/quickstart/...)')
    cfg = Config.fromfile(config)
    cfg.launcher = launcher
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    apply_own_data(cfg)  # a config's own_data: paths, classes and num_classes from its annotation files
    if work_dir is not None:
        cfg.work_dir = work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs', osp.splitext(osp.basename(config))[0])
    if amp:
        cfg.optim_wrapper.type = AMP_OPTIM_WRAPPER
        cfg.optim_wrapper.loss_scale = 'dynamic'
    if not torch.cuda.is_available():
        adapt_to_cpu(cfg)
    fit_dataloader_workers(cfg)
    return cfg


def available_cpus() -> int:
    """CPUs this process may run on (its affinity mask, as torch's DataLoader counts them)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def fit_dataloader_workers(cfg: Config) -> List[str]:
    """Lower each dataloader's ``num_workers`` to the CPUs this machine offers (in place); the changes, logged.

    The configs state the workers of a GPU node (4 per GPU, as mmdet's); above the CPU count torch only warns
    and the workers compete with the main process."""
    cpus = available_cpus()
    changes = []
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        entry = cfg.get(loader, None)
        if isinstance(entry, dict) and int(entry.get('num_workers', 0)) > cpus:
            changes.append(f'{loader}.num_workers {entry["num_workers"]} -> {cpus}')
            entry['num_workers'] = cpus
    if changes:
        print_log(f'dataloader workers fitted to the {cpus} CPUs of this machine: {", ".join(changes)}',
                  logger='current')
    return changes


def _replace_sync_bn(node: Any, path: str, changed: List[str]) -> None:
    """Set ``type='BN'`` in every dict of the config tree whose type is a SyncBN (in place)."""
    if isinstance(node, dict):
        if node.get('type') in SYNC_BN_TYPES:
            node['type'] = 'BN'
            changed.append(path or '<root>')
        for key, value in node.items():
            _replace_sync_bn(value, f'{path}.{key}' if path else str(key), changed)
    elif isinstance(node, (list, tuple)):
        for i, value in enumerate(node):
            _replace_sync_bn(value, f'{path}[{i}]', changed)


def amp_to_fp32(cfg: Config) -> Optional[str]:
    """Replace an ``AmpOptimWrapper`` by a plain (fp32) ``OptimWrapper`` in place.

    Returns the change as text, or None when ``cfg.optim_wrapper`` is not mixed precision.
    """
    wrapper = cfg.get('optim_wrapper', None)
    if wrapper is None or wrapper.get('type') != AMP_OPTIM_WRAPPER:
        return None
    wrapper.type = 'OptimWrapper'
    for key in ('loss_scale', 'dtype', 'use_fsdp'):
        wrapper.pop(key, None)
    return f'optim_wrapper: {AMP_OPTIM_WRAPPER} -> OptimWrapper (fp32)'


def add_custom_hook_once(cfg: Config, hook: dict) -> bool:
    """Append ``hook`` to ``cfg.custom_hooks`` unless a hook of its type is there; whether it was added."""
    hooks = list(cfg.get('custom_hooks', None) or [])
    if any(str(h.get('type', '')).split('.')[-1] == hook['type'] for h in hooks):
        return False
    cfg.custom_hooks = hooks + [hook]
    return True


def adapt_to_cpu(cfg: Config) -> Config:
    """Make ``cfg`` runnable without CUDA (in place): gloo backend, SyncBN -> BN, DDP without ``device_ids``, and
    fp32 instead of mixed precision (mmengine's ``AmpOptimWrapper`` needs CUDA)."""
    change = amp_to_fp32(cfg)
    if change is not None:
        print_log(f'no CUDA: {change}; mixed precision (--amp, the paper configs) needs a GPU', logger='current')
    if cfg.get('env_cfg', None) is None:
        cfg.env_cfg = dict()
    if cfg.env_cfg.get('dist_cfg', None) is None:
        cfg.env_cfg.dist_cfg = dict()
    dist_cfg = cfg.env_cfg.dist_cfg
    if dist_cfg.get('backend', 'nccl') != 'gloo':
        print_log(f'no CUDA: distributed backend {dist_cfg.get("backend", "nccl")} -> gloo', logger='current')
        dist_cfg['backend'] = 'gloo'

    changed: List[str] = []
    for key in list(cfg.keys()):
        _replace_sync_bn(cfg[key], key, changed)
    if changed:
        print_log(f'no CUDA: SyncBN -> BN (SyncBN needs GPUs) at {", ".join(changed)}', logger='current')
    if cfg.get('sync_bn', None) is not None:
        print_log(f'no CUDA: ignoring sync_bn={cfg.sync_bn!r} (SyncBN needs GPUs)', logger='current')
        cfg.sync_bn = None

    if cfg.get('launcher', 'none') != 'none':
        # mmengine gives DDP device_ids=[LOCAL_RANK] unless the wrapper config sets them; DDP rejects that for CPU
        if cfg.get('model_wrapper_cfg', None) is None:
            cfg.model_wrapper_cfg = dict(
                type='MMDistributedDataParallel',
                broadcast_buffers=False,
                find_unused_parameters=cfg.get('find_unused_parameters', False))
        cfg.model_wrapper_cfg.device_ids = None
        print_log('no CUDA: DDP with device_ids=None (CPU processes)', logger='current')
        # With BN instead of SyncBN each process keeps its own running statistics; averaging them at every
        # epoch end (before the checkpoint and the validation) makes every rank evaluate the saved model.
        if add_custom_hook_once(cfg, dict(type='SyncBuffersHook')):
            print_log('no CUDA: BN statistics averaged over the processes at each epoch end (SyncBuffersHook), '
                      'so every rank validates the checkpointed model', logger='current')
    return cfg


def init_cpu_distributed(cfg: Config) -> None:
    """Start the gloo process group for ``--launcher pytorch`` without CUDA, before the Runner does.

    mmengine's own initialization calls ``torch.cuda.set_device``, which fails without a GPU; the Runner skips it
    when a process group exists. Needs the torchrun environment (RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT).
    """
    launcher = cfg.get('launcher', 'none')
    if launcher == 'none' or torch.cuda.is_available() or torch.distributed.is_initialized():
        return
    if launcher != 'pytorch':
        raise RuntimeError(f'--launcher {launcher} needs CUDA GPUs (mmengine picks a GPU per process); on a machine '
                           'without CUDA use tools/dist_train.sh / dist_test.sh (--launcher pytorch, gloo backend)')
    missing = [v for v in ('RANK', 'WORLD_SIZE', 'MASTER_ADDR', 'MASTER_PORT') if v not in os.environ]
    if missing:
        raise RuntimeError(f'--launcher pytorch: environment variables {", ".join(missing)} are not set; start the '
                           'tool with torchrun, e.g. bash tools/dist_train.sh CONFIG NPROC')
    timeout = cfg.env_cfg.dist_cfg.get('timeout', None)
    kwargs = {}
    if timeout is not None:
        kwargs['timeout'] = datetime.timedelta(seconds=timeout)
    torch.distributed.init_process_group(backend='gloo', **kwargs)
    print_log(f'no CUDA: started the gloo process group (rank {torch.distributed.get_rank()} of '
              f'{torch.distributed.get_world_size()})', logger='current')


def shutdown_distributed() -> None:
    """Wait for every rank, then destroy the process group before the interpreter exits.

    Left to interpreter teardown, gloo's worker threads can be destroyed while joinable and a
    rank that finished first aborts ("terminate called without an active exception", SIGABRT),
    which fails the whole torchrun job after a successful run.
    """
    if torch.distributed.is_available() and torch.distributed.is_initialized():
        torch.distributed.barrier()
        torch.distributed.destroy_process_group()


def backbone_training_line(model) -> Optional[str]:
    """'backbone frozen: 0 of N tensors train ...' for a ViT with frozen stages, else None (for the launch log)."""
    backbone = getattr(getattr(model, 'module', model), 'backbone', None)
    frozen = getattr(backbone, 'frozen_stages', -1)
    if not isinstance(frozen, int) or frozen < 0:
        return None
    params = list(backbone.parameters())
    trained = sum(p.requires_grad for p in params)
    if getattr(backbone, 'fully_frozen', False):
        return (f'backbone frozen: {trained} of {len(params)} tensors train (eval mode, no drop path, forward '
                'without autograd graph)')
    return f'backbone frozen below block {frozen}: {trained} of {len(params)} tensors train'
