"""Time reading a full-size ViT checkpoint in each file format mmvitdet reads (same run, interleaved).

    python tools/analysis/benchmark_checkpoint_read.py            # ViT-B/16, 5 rounds
    python tools/analysis/benchmark_checkpoint_read.py --arch large --rounds 7

Random weights of one size are written once to a temporary folder:
- ``.pth``: timm layout, ``{'model': state_dict}`` through torch.save;
- ``.safetensors``: the same tensors through safetensors;
- TorchScript ``.pt``: the same tensors as parameters of a scripted module, the container of OpenAI's CLIP files;
- Hugging Face folder: a transformers ``ViTModel`` of the same size (its own random init) saved with
  ``save_pretrained`` (``config.json`` + ``model.safetensors``); skipped when transformers is not installed.
Each round reads every file in turn (rotating the order) with ``read_checkpoint`` (file read + layout conversion)
and ``load_pretrained`` (that + position standardization + load into a ViT). Files are read once untimed first,
so all come from the page cache. Prints medians and the ratio to ``.pth`` as a markdown table.
"""
import argparse
import os
import statistics
import tempfile
import time
import warnings
from typing import Dict, Tuple

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


class _Holder(torch.nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x


def save_torchscript(state: dict, path: str) -> None:
    """``state`` as the parameters of a scripted module tree (dotted keys -> submodules)."""
    root = _Holder()
    for key, value in state.items():
        *parents, name = key.split('.')
        module = root
        for part in parents:
            if not hasattr(module, part):
                module.add_module(part, torch.nn.Module())
            module = getattr(module, part)
        module.register_parameter(name, torch.nn.Parameter(value, requires_grad=False))
    with warnings.catch_warnings():  # torch 2.14 deprecates TorchScript; OpenAI's CLIP files are TorchScript
        warnings.simplefilter('ignore', FutureWarning)
        torch.jit.script(root).save(path)


def save_hf_folder(arch: str, folder: str) -> bool:
    """A transformers ViTModel of ``arch``'s size saved as a model folder; False without transformers."""
    try:
        import transformers
    except ImportError:
        return False
    s = ARCH_SETTINGS[arch]
    config = transformers.ViTConfig(hidden_size=s['embed_dims'], num_hidden_layers=s['num_layers'],
                                    num_attention_heads=s['num_heads'],
                                    intermediate_size=int(s['embed_dims'] * s['mlp_ratio']), patch_size=16,
                                    image_size=224, layer_norm_eps=1e-6)  # the ViT's default eps
    transformers.ViTModel(config, add_pooling_layer=False).save_pretrained(folder)
    return True


def write_files(arch: str, tmp: str) -> Tuple[Dict[str, str], int]:
    """Every format of one random ViT of ``arch``: {label: path}, and its number of values."""
    state = timm_state(arch)
    files = {'.pth': os.path.join(tmp, 'vit.pth'), '.safetensors': os.path.join(tmp, 'vit.safetensors'),
             'TorchScript .pt': os.path.join(tmp, 'vit_torchscript.pt')}
    torch.save({'model': state}, files['.pth'])
    save_file(state, files['.safetensors'])
    save_torchscript(state, files['TorchScript .pt'])
    folder = os.path.join(tmp, 'hf_vit')
    if save_hf_folder(arch, folder):
        files['Hugging Face folder'] = folder
    return files, sum(v.numel() for v in state.values())


def size_mib(path: str) -> float:
    if os.path.isdir(path):
        return sum(os.path.getsize(os.path.join(path, f)) for f in os.listdir(path)) / 2**20
    return os.path.getsize(path) / 2**20


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--arch', default='base', choices=sorted(ARCH_SETTINGS))
    p.add_argument('--rounds', type=int, default=5)
    args = p.parse_args(argv)
    torch.manual_seed(0)
    with tempfile.TemporaryDirectory() as tmp:
        files, values = write_files(args.arch, tmp)
        model = ViT(arch=args.arch)
        kinds = list(files)
        times = {(k, what): [] for k in kinds for what in ('read', 'load')}
        for path in files.values():
            read_checkpoint(path)  # warm the page cache
        for r in range(args.rounds):
            shift = r % len(kinds)
            for kind in kinds[shift:] + kinds[:shift]:
                start = time.perf_counter()
                read_checkpoint(files[kind])
                times[kind, 'read'].append(time.perf_counter() - start)
                start = time.perf_counter()
                load_pretrained(model, files[kind], logger='silent')
                times[kind, 'load'].append(time.perf_counter() - start)
        sizes = {k: size_mib(f) for k, f in files.items()}
    med = {key: statistics.median(v) for key, v in times.items()}
    print(f'ViT-{args.arch} ({values / 1e6:.1f} M values), median of {args.rounds} rounds, '
          f'torch {torch.__version__}, {torch.get_num_threads()} threads')
    print('| file | size (MiB) | read_checkpoint (s) | load_pretrained (s) | load vs .pth |')
    print('|---|---|---|---|---|')
    for kind in kinds:
        print(f'| {kind} | {sizes[kind]:.0f} | {med[kind, "read"]:.3f} | {med[kind, "load"]:.3f} | '
              f'{med[kind, "load"] / med[".pth", "load"]:.2f} |')
    if 'Hugging Face folder' not in files:
        print('(Hugging Face folder skipped: transformers is not installed)')


if __name__ == '__main__':
    from mmvitdet.utils.cli_errors import run_cli
    run_cli(main)  # input errors: one line, status 2
