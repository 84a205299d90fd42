"""The cost study as a table (the paper's Table 3 layout): absolute numbers and ratios to the first row."""
from typing import List

from .cost_benchmark import CostResult
from .table_format import Table

GIB = 2**30


def _ratio(value: float, base: float) -> str:
    return f'{value / base:.2f}×' if base else '-'


def cost_table(results: List[CostResult], batch_size: int, title: str) -> Table:
    """One row per config; ratios are to the first config."""
    base = results[0]
    headers = ['config', 'params (M)', 'backbone params (M)']
    modes = [m for m in ('train', 'infer') if base.times[m]]
    if 'train' in modes:
        headers += ['train GFLOP/img', 'train s/iter', 'train time ×', 'train peak GiB',
                    'train mem ×']
    if 'infer' in modes:
        headers += ['infer GFLOP/img', 'infer s/img', 'infer time ×', 'infer peak GiB',
                    'infer mem ×']
    table = Table(title, headers)
    for res in results:
        row = [res.name, f'{res.params / 1e6:.1f}', f'{res.backbone_params / 1e6:.1f}']
        for mode in modes:
            flops = res.flops.get(mode)
            per = batch_size if mode == 'infer' else 1  # train: per iteration, infer: per image
            row += [f'{flops / batch_size / 1e9:.1f}' if flops else '-',
                    f'{res.time(mode) / per:.3f}', _ratio(res.time(mode), base.time(mode)),
                    f'{res.peak(mode) / GIB:.2f}', _ratio(res.peak(mode), base.peak(mode))]
        table.rows.append(row)
    table.notes = [
        f'train: one iteration of {batch_size} image(s) (preprocessing, forward, backward, '
        'optimizer step); infer: per image (preprocessing, prediction, mask pasting)',
        'times: median over rounds of the per-round median; peak: '
        'CUDA allocator peak, or on CPU the growth of the resident set of a fresh process',
        'FLOPs: torch matmuls/convs/attention counted by torch.utils.flop_counter, train = '
        'forward + backward; mmcv RoIAlign and NMS not counted',
    ]
    return table
