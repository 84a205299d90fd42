"""report.json and report.md of a GPU check, written atomically after every phase. Standard library only."""
import json
import os
from pathlib import Path
from typing import Dict, List, Optional

from .phases import PhaseResult

# detectron2 ViTDet's published Mask R-CNN costs (64 A100, 1024 input, 1 image per GPU; docs/PAPER.md).
ANCHORS = {
    'vit-b': dict(train_s_per_iter=0.314, train_mem_gb=10.9, infer_s_per_img=0.079),
    'vit-l': dict(train_s_per_iter=0.603, train_mem_gb=20.9, infer_s_per_img=0.125),
}
ANCHOR_NOTE = ('Anchors: detectron2 ViTDet Mask R-CNN on an A100 at 1 image per GPU (its published figures); '
               'this check runs 2 images per GPU on another card, so compare with care.')


def write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + '.tmp')
    tmp.write_text(text)
    os.replace(tmp, path)


def _fmt(value, digits: int = 3) -> str:
    if value is None:
        return '-'
    if isinstance(value, float):
        return f'{value:.{digits}f}'
    return str(value)


def _rate(flops_per_s: float) -> str:
    return f'{flops_per_s / 1e12:.1f} TFLOP/s' if flops_per_s >= 1e12 else f'{flops_per_s / 1e9:.1f} GFLOP/s'


def _by_kind(results: List[PhaseResult], kind: str) -> List[PhaseResult]:
    return [r for r in results if r.metrics.get('kind') == kind]


def summary(result: PhaseResult, matmul_flops: Optional[float] = None) -> str:
    """One cell of figures for the phase table."""
    m = result.metrics
    kind = m.get('kind')
    if result.status != 'ok':
        if result.note:
            return result.note
        lines = result.error.strip().splitlines() or ['']
        return (lines[0][:120] + (f' ... {lines[-1][:120]}' if len(lines) > 1 else '')).replace('|', '/')
    if kind == 'train':
        return (f"{m['s_per_iter']:.3f} s/iter, {m['img_per_s']:.2f} img/s, peak {m['max_allocated_gib']:.2f} GiB, "
                f"losses {'finite' if m['losses_finite'] else 'NOT finite'}")
    if kind == 'infer':
        return f"{m['s_per_img']:.3f} s/img, peak {m['max_allocated_gib']:.2f} GiB"
    if kind == 'backbone':
        return '; '.join(f"{r['variant']}: " + (f"{r['s_per_img']:.3f} s/img" if r['status'] == 'ok' else r['status'])
                         for r in m['rows'])
    if kind == 'sdpa':
        return '; '.join(f"{b['block']}: {b['default_backend']}" for b in m['blocks'])
    if kind == 'device':
        return f"{m['device_name']}, {_rate(m['matmul_tflops'] * 1e12)} {m['matmul_dtype']} matmul"
    if kind == 'ops':
        return f"nms and RoIAlign on {m['device']} match torchvision ({m['mmcv_ext']})"
    if kind == 'distributed':
        return (f"backend {m['backend']}, world {m['world_size']}, {m['sync_bn_modules']} SyncBN modules, "
                f"{m['iters']} iters, losses {'finite' if m['losses_finite'] else 'NOT finite'}")
    return ', '.join(f'{k} {_fmt(v)}' for k, v in m.items() if k != 'kind' and not isinstance(v, (dict, list)))


def to_markdown(report: Dict, results: List[PhaseResult]) -> str:
    env = report.get('environment', {})
    device = next((r.metrics for r in results if r.metrics.get('kind') == 'device'), {})
    matmul = device.get('matmul_tflops', 0) * 1e12 or None
    lines = [f"# GPU check ({report['mode']}), {report['created']}", '']
    if device:
        lines.append(f"Device: {device['device_name']}; torch {device['torch']}, CUDA {device['cuda']}, "
                     f"cuDNN {device['cudnn']}; {device['matmul_dtype']} matmul {_rate(device['matmul_tflops'] * 1e12)} "
                     f"(measured, {device['matmul_size']}^3).")
    if env:
        lines.append('Environment: ' + ', '.join(f'{k} {v}' for k, v in env.items()) + '.')
    lines += ['', '| phase | status | s | result |', '|---|---|---|---|']
    for r in results:
        cell = summary(r, matmul)
        if r.status == 'ok' and r.note:
            cell += f' ({r.note})'
        lines.append(f'| {r.title} | {r.status} | {r.seconds:.1f} | {cell} |')
    total = sum(r.seconds for r in results)
    lines.append(f'| total | | {total:.1f} | |')

    train = _by_kind(results, 'train') + _by_kind(results, 'infer')
    if train:
        lines += ['', '| detector | precision | with_cp | images/GPU | s/iter or s/img | img/s | peak GiB | '
                  'losses | anchor s | anchor GB |', '|---|---|---|---|---|---|---|---|---|---|']
        for r in train:
            m = r.metrics
            anchor = ANCHORS.get(m['arch'], {})
            if m['kind'] == 'train':
                precision = m['precision']
                if m.get('requested_precision', precision) != precision:
                    precision += f" ({m['requested_precision']} asked)"
                lines.append(f"| {m['arch']} train | {precision} | {m['with_cp']} | {m['batch_size']} | "
                             f"{m['s_per_iter']:.3f} | {m['img_per_s']:.2f} | {m['max_allocated_gib']:.2f} | "
                             f"{'finite' if m['losses_finite'] else 'NOT finite'} | "
                             f"{_fmt(anchor.get('train_s_per_iter'))} | {_fmt(anchor.get('train_mem_gb'), 1)} |")
            else:
                lines.append(f"| {m['arch']} inference | {m['precision']} | - | {m['batch_size']} | "
                             f"{m['s_per_img']:.3f} | {1 / m['s_per_img']:.2f} | {m['max_allocated_gib']:.2f} | - | "
                             f"{_fmt(anchor.get('infer_s_per_img'))} | - |")
        lines += ['', ANCHOR_NOTE]

    for r in _by_kind(results, 'backbone'):
        lines += ['', f"| backbone layout ({r.metrics['arch']}, {r.metrics['img_size']} px, relative bias) | "
                  's/img fwd+bwd | peak GiB | GFLOP/img | achieved | % of matmul |', '|---|---|---|---|---|---|']
        for row in r.metrics['rows']:
            if row['status'] != 'ok':
                lines.append(f"| {row['variant']} | {row['status']} | {_fmt(row.get('max_allocated_gib'), 2)} | "
                             '- | - | - |')
                continue
            frac = f"{100 * row['flops_per_s'] / matmul:.0f}%" if matmul else '-'
            lines.append(f"| {row['variant']} ({row['amp']}) | {row['s_per_img']:.3f} | "
                         f"{row['max_allocated_gib']:.2f} | {row['gflop_per_img']:.0f} | {_rate(row['flops_per_s'])} | "
                         f"{frac} |")

    for r in _by_kind(results, 'sdpa'):
        lines += ['', '| attention block (q shape, bias) | default backend | ' +
                  ' | '.join(f'{b} ms' for b in r.metrics['backends']) + ' |',
                  '|---|---|' + '---|' * len(r.metrics['backends'])]
        for b in r.metrics['blocks']:
            times = [_fmt(b['ms'].get(name), 2) if name in b['ms'] else b['errors'].get(name, '-')[:40]
                     for name in r.metrics['backends']]
            lines.append(f"| {b['block']} {tuple(b['q_shape'])} | {b['default_backend']} | " + ' | '.join(times) + ' |')
    return '\n'.join(lines) + '\n'


def write_report(work_dir: Path, report: Dict, results: List[PhaseResult]) -> str:
    """Write report.json and report.md into ``work_dir``; returns the markdown."""
    work_dir.mkdir(parents=True, exist_ok=True)
    data = dict(report, phases=[r.to_dict() for r in results], anchors=ANCHORS, anchor_note=ANCHOR_NOTE)
    write_atomic(work_dir / 'report.json', json.dumps(data, indent=1))
    markdown = to_markdown(report, results)
    write_atomic(work_dir / 'report.md', markdown)
    return markdown
