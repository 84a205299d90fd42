"""One measurement in a fresh process: ``python -m mmvitdet.gpu_check.child '<json spec>'``.

Prints one JSON line last: ``{"status": "ok" | "oom" | "failed", "metrics": {...}, "error": ...}``. An
out-of-memory error is caught and reported as such, with the memory reached, so the caller can tell "does not
fit" from "broken".
"""
import json
import sys
import traceback
from typing import Callable, Dict


def _measures() -> Dict[str, Callable]:
    from . import attention_backends, detector_cost, device_info, distributed_config, ops_check
    return {
        'device': device_info.measure,
        'ops': ops_check.check,
        'train': detector_cost.measure_train,
        'infer': detector_cost.measure_infer,
        'backbone': detector_cost.measure_backbones,
        'sdpa': attention_backends.measure,
        'dist_config': distributed_config.write_config,
    }


def run(spec: Dict) -> Dict:
    import torch
    spec = dict(spec)
    kind = spec.pop('kind')
    try:
        import mmvitdet  # noqa: F401  registration
        metrics = _measures()[kind](**spec)
        return dict(status='ok', metrics=dict(kind=kind, **metrics))
    except torch.OutOfMemoryError as e:
        reached = torch.cuda.max_memory_allocated() / 2**30 if torch.cuda.is_available() else None
        return dict(status='oom', error=f'out of memory (peak {reached} GiB): {str(e)[:1500]}',
                    metrics=dict(kind=kind, max_allocated_gib=reached))
    except Exception:
        return dict(status='failed', error=traceback.format_exc()[-3000:], metrics=dict(kind=kind))


if __name__ == '__main__':
    print(json.dumps(run(json.loads(sys.argv[1]))))
