"""Time reading a full-size ViT checkpoint as .pth vs .safetensors (same weights, same run, interleaved).

    python tools/analysis/benchmark_checkpoint_read.py            # ViT-B/16, 5 rounds
    python tools/analysis/benchmark_checkpoint_read.py --arch large --rounds 7

Random weights in the timm layout are written once to a temporary folder (.pth as {'model': state_dict} through
torch.save, .safetensors through safetensors), then each round reads every file in turn (rotating the order)
with ``read_checkpoint`` (file read + layout conversion) and ``load_pretrained`` (that + position
standardization + load into a ViT). Files are read once untimed first, so both come from the page cache.
Prints medians and the ratio to .pth as a markdown table.
"""
import argparse
import os
import statistics
import tempfile
import time

import torch
from safetensors.torch import save_file

import mmvitdet  # noqa: F401
from mmvitdet.checkpoints import load_pretrained, read_checkpoint
from mmvitdet.models.backbones.vit import ARCH_SETTINGS, ViT


def timm_state(arch: str, patch: int = 16, grid: int = 14) -> dict:
    """Random ViT weights in the timm layout, with class token, final norm and head."""
    with torch.device('meta'):
        vit = ViT(arch=arch, patch_size=patch, pretrain_img_size=grid * patch)
    state = {k: torch.randn(v.shape) * 0.02 for k, v in vit.state_dict().items()
             if 'relative_position' not in k}
    width = ARCH_SETTINGS[arch]['embed_dims']
    state['pos_embed'] = torch.randn(1, grid * grid + 1, width) * 0.02
    state['cls_token'] = torch.zeros(1, 1, width)
    state['norm.weight'], state['norm.bias'] = torch.ones(width), torch.zeros(width)
    state['head.weight'], state['head.bias'] = torch.zeros(1000, width), torch.zeros(1000)
    return state


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--arch', default='base', choices=sorted(ARCH_SETTINGS))
    p.add_argument('--rounds', type=int, default=5)
    args = p.parse_args(argv)
    torch.manual_seed(0)
    state = timm_state(args.arch)
    with tempfile.TemporaryDirectory() as tmp:
        files = {'.pth': os.path.join(tmp, 'vit.pth'), '.safetensors': os.path.join(tmp, 'vit.safetensors')}
        torch.save({'model': state}, files['.pth'])
        save_file(state, files['.safetensors'])
        model = ViT(arch=args.arch)
        kinds = list(files)
        times = {(k, what): [] for k in kinds for what in ('read', 'load')}
        for path in files.values():
            read_checkpoint(path)  # warm the page cache
        for r in range(args.rounds):
            order = kinds[r % 2:] + kinds[:r % 2]
            for kind in order:
                start = time.perf_counter()
                read_checkpoint(files[kind])
                times[kind, 'read'].append(time.perf_counter() - start)
                start = time.perf_counter()
                load_pretrained(model, files[kind], logger='silent')
                times[kind, 'load'].append(time.perf_counter() - start)
        sizes = {k: os.path.getsize(f) / 2**20 for k, f in files.items()}
    med = {key: statistics.median(v) for key, v in times.items()}
    print(f'ViT-{args.arch} ({sum(v.numel() for v in state.values()) / 1e6:.1f} M values), '
          f'median of {args.rounds} rounds, torch {torch.__version__}, {torch.get_num_threads()} threads')
    print('| file | size (MiB) | read_checkpoint (s) | load_pretrained (s) | load vs .pth |')
    print('|---|---|---|---|---|')
    for kind in kinds:
        print(f'| {kind} | {sizes[kind]:.0f} | {med[kind, "read"]:.3f} | {med[kind, "load"]:.3f} | '
              f'{med[kind, "load"] / med[".pth", "load"]:.2f} |')


if __name__ == '__main__':
    from mmvitdet.utils.cli_errors import run_cli
    run_cli(main)  # input errors: one line, status 2
