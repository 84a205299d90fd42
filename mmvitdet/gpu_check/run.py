"""The GPU check, phase by phase: environment, device, ops, training, inference, distributed run,
attention backends, backbone layouts. Each measurement runs in a fresh process; the report is rewritten after
each phase. This process imports only the standard library and torch (it sets up the environment that the
measurements import).
"""
import json
import shutil
import socket
import sys
import time
from pathlib import Path
from typing import Callable, Dict, List, Optional

from . import carried
from .phases import PhaseFailed, PhaseResult, PhaseRunner, PhaseSkipped, child_env, run_child, run_command
from .plan import VIT_B, VIT_B_FROZEN, VIT_L, Plan, tiny_note
from .report import write_report

# In order of what a short lease must not miss: set-up, correctness of the paper's ViT-B run (AMP, ops, NCCL,
# SyncBN), then ViT-L's memory, then the attention measurements.
PHASES = ('environment', 'device', 'ops', 'train_vit-b_fp16', 'train_vit-b_bf16', 'train_vit-b_frozen_bf16',
          'inference_vit-b',
          'torchrun_nccl_syncbn', 'train_vit-l_cp', 'train_vit-l_no-cp', 'sdpa_backends', 'backbone_layouts')
BACKBONE_LAYOUTS = ('ours-hybrid', 'ours-global', 'ours-global-cp')  # 4 global + 8 window blocks, all global


class GpuCheck:
    """One run. ``mode``: 'carried' (GPU machine without registry: install the carried folder of pure wheels),
    'installed' (an environment from tools/setup.sh), 'dry-run' (this code path on CPU, tiny)."""

    def __init__(self, repo: Path, work_dir: Path, scratch: Path, plan: Plan, mode: str,
                 carry: Optional[Path] = None, log: Callable = print):
        self.repo, self.work_dir, self.scratch, self.plan, self.mode = repo, work_dir, scratch, plan, mode
        self.carry = carry
        self.log = log
        self.site = scratch / 'site'
        self.python_path = carried.python_path(repo) if mode != 'carried' else carried.python_path(self.site, repo)
        self.environment: Dict[str, str] = {}
        self.trained: Dict[str, Dict] = {}  # train metrics by phase, for ratios between phases
        self.report = dict(mode=mode, created=time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime()),
                           plan=dict(vars(plan)), environment=self.environment,
                           note=tiny_note(plan) or '')

    # ------------------------------------------------------------------ set-up phases
    def phase_environment(self, timeout: float) -> Dict:
        if self.mode == 'installed':
            raise PhaseSkipped('installed environment (tools/setup.sh); no carried wheels used')
        if self.carry is None:
            raise PhaseSkipped('no carried folder (make one with --prepare)')
        manifest = carried.read_manifest(self.carry)
        wheels = carried.wheel_paths(self.carry, manifest)
        if self.mode == 'dry-run':
            proc = run_command(carried.install_check_command(sys.executable, wheels, self.scratch / 'site-check'),
                               timeout)
            would = [line for line in proc.stdout.splitlines() if line.startswith('Would install')]
            return dict(wheels=len(wheels), carried_mib=round(manifest['bytes'] / 2**20, 1),
                        note=f'dry run: pip resolved the {len(wheels)} carried wheels for CPython 3.12 manylinux '
                             f'without installing ({would[0][:80] if would else "no summary"}...)')
        marker = self.site / '.installed-manifest.json'
        if marker.is_file() and json.loads(marker.read_text()).get('files') == manifest['files']:
            return dict(wheels=len(wheels), note=f'already installed in {self.site} (warm machine)')
        if self.site.exists():
            shutil.rmtree(self.site)
        run_command(carried.install_command(sys.executable, wheels, self.site), timeout)
        marker.write_text(json.dumps(dict(files=manifest['files'])))
        self.environment['carried'] = f'{len(wheels)} wheels into {self.site}'
        return dict(wheels=len(wheels), carried_mib=round(manifest['bytes'] / 2**20, 1), site=str(self.site))

    # ------------------------------------------------------------------ measurements
    def _child(self, spec: Dict, timeout: float) -> Dict:
        return run_child(spec, timeout, env=child_env(self.python_path))['metrics']

    def _config(self, rel: str) -> str:
        return str(self.repo / rel)

    def phase_device(self, timeout):
        return self._child(dict(kind='device', device=self.plan.device, matmul_size=self.plan.matmul_size), timeout)

    def phase_ops(self, timeout):
        return self._child(dict(kind='ops', device=self.plan.device), timeout)

    def _train(self, config: str, arch: str, precision: str, with_cp: Optional[bool], large: bool, timeout):
        p = self.plan
        metrics = self._child(dict(kind='train', config=self._config(config), arch=arch, img_size=p.img_size,
                                   batch_size=p.batch_size, precision=precision, device=p.device, with_cp=with_cp,
                                   cfg_options=p.cfg_options, warmup=p.large_warmup if large else p.warmup,
                                   iters=p.large_iters if large else p.iters), timeout)
        if metrics['precision'] != precision:
            metrics['note'] = f'{precision} requested, ran {metrics["precision"]} (no CUDA: AMP falls back to fp32)'
        return metrics

    def phase_frozen(self, timeout):
        """The frozen-backbone protocol's train step, and its ratios to the full one measured just before."""
        metrics = self._train(VIT_B_FROZEN, 'vit-b frozen', 'bf16', None, False, timeout)
        full = self.trained.get('train_vit-b_bf16')
        if full:
            metrics['vs_full'] = dict(time=metrics['s_per_iter'] / full['s_per_iter'],
                                      memory=metrics['max_allocated_gib'] / full['max_allocated_gib'])
            ratio = (f"{metrics['vs_full']['time']:.2f}x the full step's time, "
                     f"{metrics['vs_full']['memory']:.2f}x its peak memory")
            metrics['note'] = f"{metrics['note']}; {ratio}" if metrics.get('note') else ratio
        return metrics

    def _remember(self, name: str, metrics: Dict) -> Dict:
        self.trained[name] = metrics
        return metrics

    def phase_inference(self, timeout):
        p = self.plan
        return self._child(dict(kind='infer', config=self._config(VIT_B), arch='vit-b', img_hw=list(p.infer_hw),
                                num_images=p.infer_images, precision='fp16', device=p.device,
                                cfg_options=p.cfg_options), timeout)

    def phase_backbone(self, timeout):
        p = self.plan
        return self._child(dict(kind='backbone', variants=list(BACKBONE_LAYOUTS), arch=p.backbone_arch,
                                img_size=p.backbone_img,
                                device=p.device, amp=True, warmup=p.backbone_warmup, iters=p.backbone_iters),
                           timeout)

    def phase_sdpa(self, timeout):
        p = self.plan
        return self._child(dict(kind='sdpa', arch=p.backbone_arch, img_size=p.backbone_img, device=p.device,
                                iters=p.sdpa_iters), timeout)

    def phase_torchrun(self, timeout):
        p = self.plan
        run_dir = self.scratch / 'torchrun'
        if run_dir.exists():
            shutil.rmtree(run_dir)
        run_dir.mkdir(parents=True)
        probe = run_dir / 'probe.json'
        start = time.monotonic()
        made = self._child(dict(kind='dist_config', base_config=self._config(VIT_B),
                                out_path=str(run_dir / 'gpu_check_dist.py'),
                                data_root=str(self.scratch / f'shapes_{p.img_size}') + '/', img_size=p.img_size,
                                iters=p.dist_iters, batch_size=p.batch_size, probe_file=str(probe),
                                cfg_options=p.cfg_options, num_images=p.dist_images), timeout)
        with socket.socket() as s:  # a free port for the rendezvous
            s.bind(('127.0.0.1', 0))
            port = s.getsockname()[1]
        cmd = [sys.executable, '-m', 'torch.distributed.run', '--nnodes', '1', '--nproc_per_node', '1',
               '--master_addr', '127.0.0.1', '--master_port', str(port), str(self.repo / 'tools' / 'train.py'),
               made['config'], '--launcher', 'pytorch', '--work-dir', str(run_dir / 'work')]
        run_command(cmd, timeout - (time.monotonic() - start), env=child_env(self.python_path), cwd=str(self.repo))
        if not probe.is_file():
            raise PhaseFailed('failed', f'tools/train.py under torchrun finished without writing {probe}')
        record = json.loads(probe.read_text())
        record.update(kind='distributed', changes=made['changes'])
        if record['sync_bn_modules'] == 0:
            record['note'] = 'no SyncBN: without CUDA launch_config turns SyncBN into BN (gloo)'
        elif record['world_size'] == 1:
            record['note'] = ('one process: SyncBatchNorm takes its single-GPU path (no all-reduce of statistics); '
                              'DDP reduces gradients over NCCL')
        return record

    # ------------------------------------------------------------------ all of it
    def phase_table(self) -> Dict[str, tuple]:
        """name -> (title, fn(timeout), min seconds, max seconds)."""
        p = self.plan
        return {
            'environment': ('environment: carried wheels', self.phase_environment, 5, 180),
            'device': ('device, stack, matmul rate', self.phase_device, 10, 120),
            'ops': ('mmcv nms + RoIAlign on the device vs torchvision', self.phase_ops, 10, 120),
            'train_vit-b_fp16': ('train ViT-B, AMP fp16',
                                 lambda t: self._train(VIT_B, 'vit-b', 'fp16', None, False, t), 20, 180),
            'train_vit-b_bf16': ('train ViT-B, AMP bf16',
                                 lambda t: self._remember('train_vit-b_bf16',
                                                          self._train(VIT_B, 'vit-b', 'bf16', None, False, t)),
                                 20, 180),
            'train_vit-b_frozen_bf16': ('train ViT-B, backbone frozen, AMP bf16 (vs the full step)',
                                        self.phase_frozen, 20, 180),
            'train_vit-l_cp': ('train ViT-L, with_cp=True',
                               lambda t: self._train(VIT_L, 'vit-l', 'fp16', True, True, t), 30, 240),
            'train_vit-l_no-cp': ('train ViT-L, with_cp=False',
                                  lambda t: self._train(VIT_L, 'vit-l', 'fp16', False, True, t), 30, 240),
            'inference_vit-b': (f'inference ViT-B, {p.infer_images} images', self.phase_inference, 15, 150),
            'torchrun_nccl_syncbn': ('torchrun, 1 process, SyncBN', self.phase_torchrun, 30, 300),
            'sdpa_backends': ('SDPA backends with the relative bias', self.phase_sdpa, 15, 150),
            'backbone_layouts': ('backbone attention layouts', self.phase_backbone, 15, 180),
        }

    def run(self, only: Optional[List[str]] = None, skip: Optional[List[str]] = None) -> List[PhaseResult]:
        table = self.phase_table()
        for name in list(only or []) + list(skip or []):
            if name not in table:
                raise ValueError(f'unknown phase {name!r}; phases: {", ".join(PHASES)}')
        runner = PhaseRunner(self.plan.budget, log=self.log,
                             on_result=lambda results: write_report(self.work_dir, self.report, results))
        for name in PHASES:
            title, fn, min_s, max_s = table[name]
            if (only and name not in only) or (skip and name in skip):
                runner.results.append(PhaseResult(name, title, 'skipped', note='not selected'))
                continue
            runner.run(name, title, fn, min_s, self.plan.timeout(name, max_s))
        return runner.results
