"""GPU acceptance check of the paper's detector in one command; report in work_dirs/gpu_check/<timestamp>/.

    python tools/gpu_check.py                 # on a GPU machine: set-up (if needed) and every measurement
    python tools/gpu_check.py --dry-run       # the same code path on the CPU at a tiny size (CI runs it)
    .venv/bin/python tools/gpu_check.py --prepare   # fill .gpu_carry/ for a GPU machine without a registry

Phases: environment (carried wheels), device and bf16 matmul rate, mmcv's nms + RoIAlign on the device against
torchvision, training of ViT-B (AMP fp16, bf16) and ViT-L (with_cp on/off) at 1024 with 2 images per
GPU, inference, a one-process torchrun run with NCCL and SyncBN, SDPA backends with the relative bias, backbone
attention layouts. Where mmdet is installed (bash tools/setup.sh) that environment is used and the carried wheels
are skipped; where it is not, the carried folder of pure wheels is installed into a scratch path (mmcv-lite: nms and
RoIAlign run on the image's torchvision kernels through mmvitdet/ops; nothing is compiled).
"""
import argparse
import importlib
import os
import sys
import tempfile
import time
import types
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def import_gpu_check():
    """Import mmvitdet.gpu_check without running mmvitdet/__init__.py, which needs mmdet: on a GPU machine without
    a registry mmdet is what this tool installs first."""
    if 'mmvitdet' not in sys.modules:
        package = types.ModuleType('mmvitdet')
        package.__path__ = [str(REPO / 'mmvitdet')]
        sys.modules['mmvitdet'] = package
    return importlib.import_module('mmvitdet.gpu_check.run')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    what = parser.add_mutually_exclusive_group()
    what.add_argument('--prepare', action='store_true',
                      help='download the wheels a GPU machine without a registry needs into --carried')
    what.add_argument('--dry-run', action='store_true', help='every phase on the CPU at a tiny size (no GPU needed)')
    parser.add_argument('--carried', type=Path, default=None,
                        help='the carried folder (default: .gpu_carry in the repository when it exists)')
    parser.add_argument('--work-dir', type=Path, help='where report.{json,md} go (default: work_dirs/gpu_check/<time>)')
    parser.add_argument('--scratch', type=Path,
                        help='installed wheels, generated data (default: <tmp>/mmvitdet-gpu-check)')
    parser.add_argument('--budget', type=float,
                        help='seconds for all phases (default 540 on GPU; none for the dry run)')
    parser.add_argument('--only', nargs='+', metavar='PHASE', help='run only these phases')
    parser.add_argument('--skip', nargs='+', metavar='PHASE', help='skip these phases')
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    gpu_check = import_gpu_check()
    from mmvitdet.gpu_check import carried, plan as plans, prepare
    carry = args.carried or (REPO / carried.CARRY_DIR)

    if args.prepare:
        manifest = prepare.prepare(REPO, carry.resolve())
        rel = os.path.relpath(carry.resolve(), REPO)
        print(f'\n{carry}: {len(manifest["files"])} files, {manifest["bytes"] / 2**20:.1f} MiB '
              f'(+ working tree {manifest["tree_bytes"] / 2**20:.1f} MiB; 64 MiB may travel)')
        print('device call (the device tool\'s run):')
        print(f'  carry: ["{rel}"]   timeout_s: 600')
        print(f'  command: {prepare.device_command(rel)}')
        return 0

    if not carry.is_dir():
        carry = None
    if args.dry_run:
        mode, plan = 'dry-run', plans.dry_run_plan()
    else:
        import torch
        if not torch.cuda.is_available():
            sys.exit('gpu_check: torch sees no CUDA device here; run with --dry-run to exercise the code on the CPU')
        plan = plans.gpu_plan()
        missing = carried.installed_stack()
        if missing is None and args.carried is None:
            mode = 'installed'
        elif carry is not None:
            mode = 'carried'
        else:
            sys.exit(f'gpu_check: {missing} is not installed and there is no carried folder ({REPO / carried.CARRY_DIR}'
                     '); set up the environment with bash tools/setup.sh, or, for a machine without a registry, '
                     'run tools/gpu_check.py --prepare where one is reachable and carry the folder')
    if args.budget:
        plan.budget = args.budget
    stamp = time.strftime('%Y%m%d_%H%M%S')
    work_dir = args.work_dir or REPO / 'work_dirs' / 'gpu_check' / stamp
    scratch = args.scratch or Path(tempfile.gettempdir()) / f'mmvitdet-gpu-check-{mode}'
    scratch.mkdir(parents=True, exist_ok=True)
    check = gpu_check.GpuCheck(REPO, work_dir.resolve(), scratch.resolve(), plan, mode, carry=carry)
    results = check.run(only=args.only, skip=args.skip)
    print('\n' + (work_dir / 'report.md').read_text())
    print(f'report: {work_dir / "report.json"}, {work_dir / "report.md"}')
    return 1 if any(r.status in ('failed', 'timeout') for r in results) else 0


if __name__ == '__main__':
    sys.exit(main())
