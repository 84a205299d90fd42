"""The device, the software stack and a measured matmul rate (the reference for achieved FLOP/s)."""
import os
import platform
import statistics
from typing import Dict

import torch


def cpu_name() -> str:
    try:
        with open('/proc/cpuinfo') as f:
            name = next(line.split(':', 1)[1].strip() for line in f if line.startswith('model name'))
    except (OSError, StopIteration):
        name = platform.processor() or 'CPU'
    return f'{name} ({os.cpu_count()} cores)'


def stack_versions() -> Dict[str, str]:
    import mmcv
    import mmdet
    import mmengine
    import mmpretrain
    from mmvitdet.ops import mmcv_ops_backend
    try:
        from mmcv.ops import get_compiling_cuda_version
        ext = mmcv_ops_backend()
        if ext == 'compiled mmcv':
            ext += f', CUDA {get_compiling_cuda_version()}'
    except (ImportError, AttributeError) as e:
        ext = f'no mmcv ops ({e})'
    return dict(mmcv=f'{mmcv.__version__} ({ext})', mmengine=mmengine.__version__, mmdet=mmdet.__version__,
                mmpretrain=mmpretrain.__version__, mmcv_path=os.path.dirname(mmcv.__file__))


def measure(device: str, matmul_size: int, iters: int = 10) -> Dict:
    """Names and versions, plus the median rate of a square matmul of ``matmul_size`` in TFLOP/s: bf16 on CUDA
    (the tensor-core rate; fp16 runs at the same rate on Hopper), fp32 on CPU (what the dry run computes in)."""
    from mmvitdet.analysis.measure import matmul_rate
    dev = torch.device(device)
    info = dict(torch=torch.__version__, cuda=torch.version.cuda or '-',
                cudnn=str(torch.backends.cudnn.version() or '-'), python=platform.python_version())
    if dev.type == 'cuda':
        props = torch.cuda.get_device_properties(dev)
        info.update(device_name=props.name, capability=f'{props.major}.{props.minor}',
                    memory_gib=round(props.total_memory / 2**30, 1), multiprocessors=props.multi_processor_count)
    else:
        info.update(device_name=cpu_name())
    info.update(stack_versions())
    dtype = torch.bfloat16 if dev.type == 'cuda' else torch.float32
    rates = [matmul_rate(dev, dtype, size=matmul_size, iters=iters) for _ in range(3)]
    info.update(matmul_dtype='bf16' if dev.type == 'cuda' else 'fp32', matmul_size=matmul_size,
                matmul_tflops=statistics.median(rates) / 1e12)
    return info
