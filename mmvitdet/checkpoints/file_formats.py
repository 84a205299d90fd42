"""Read a checkpoint from disk or a URL, before its layout is detected.

What a path may be (chosen by what is on disk, not by trust in the name):

- a Hugging Face model folder (``config.json`` with ``model.safetensors``,
  ``pytorch_model.bin``, their sharded ``*.index.json`` forms, or OpenCLIP's
  ``open_clip_model.safetensors`` / ``open_clip_pytorch_model.bin``): the
  weights are read as below and ``config.json`` is returned with them so the
  load can check the backbone config against it;
- a ``.safetensors`` file: the ``safetensors`` package reads raw tensors; no
  pickle is involved at all;
- a TorchScript archive (OpenAI's own CLIP ``ViT-B-16.pt`` etc.): read with
  ``torch.jit.load(path, map_location='cpu').state_dict()``. TorchScript's
  loader builds only TorchScript types from the archive (no Python globals
  are unpickled) and no model code is run: only the parameters are taken;
- anything else (``.pth`` / ``.pt`` / ``.bin``): ``torch.load(weights_only=
  True)`` with mmvitdet's allow-list (``engine.checkpoint_loading``);
- an http(s) URL: downloaded once into the torch hub folder (rank 0 first,
  ``engine.download_checkpoint``), then read as the local file it became.
"""
import json
import os
import os.path as osp
import struct
import warnings
import zipfile
from dataclasses import dataclass
from typing import Any, Dict, List, Optional

import torch

from ..engine.checkpoint_loading import (download_checkpoint, load_checkpoint_file, not_a_file_error,
                                        special_file_kind)
from .errors import CheckpointError
from .missing_file import missing_checkpoint_error

URL_PREFIXES = ('http://', 'https://')
HF_CONFIG = 'config.json'
# Weight files of a model folder, in the order they are looked for.
FOLDER_WEIGHTS = ('model.safetensors', 'model.safetensors.index.json',
                  'pytorch_model.bin', 'pytorch_model.bin.index.json',
                  'open_clip_model.safetensors', 'open_clip_pytorch_model.bin')


READER_NOTES = {
    'torch': 'read with torch.load(weights_only=True)',
    'safetensors': 'read with safetensors (no unpickling)',
    'torchscript': 'TorchScript archive: parameters read with torch.jit.load '
                   '(no Python objects unpickled, no model code run)',
}


@dataclass
class LoadedFile:
    """What was read: the object, the file(s) it came from and how.

    obj: the loaded object (a state dict, or a dict holding one).
    files: the weight file(s) actually read.
    reader: 'torch' | 'safetensors' | 'torchscript'.
    config: the model folder's config.json (None for a single file).
    """
    obj: Any
    files: List[str]
    reader: str
    config: Optional[dict] = None


def _device(map_location) -> str:
    """safetensors takes a device string; callables/dicts fall back to cpu."""
    if isinstance(map_location, (str, torch.device)):
        return str(map_location)
    return 'cpu'


def _safetensors_expected_size(path: str) -> Optional[int]:
    """File size the header announces (8 + header + data), None if unreadable."""
    try:
        with open(path, 'rb') as f:
            head = f.read(8)
            (n, ) = struct.unpack('<Q', head)
            header = json.loads(f.read(n))
        ends = [v['data_offsets'][1] for k, v in header.items()
                if k != '__metadata__']
        return 8 + n + max(ends, default=0)
    except Exception:
        return None


def read_safetensors(path: str, map_location='cpu') -> Dict[str, torch.Tensor]:
    """All tensors of a ``.safetensors`` file (no unpickling)."""
    from safetensors import SafetensorError
    from safetensors.torch import load_file
    try:
        return load_file(path, device=_device(map_location))
    except (SafetensorError, OSError, ValueError) as e:
        size = os.path.getsize(path)
        expected = _safetensors_expected_size(path)
        what = (f'it is truncated ({size} bytes; its header announces '
                f'{expected})' if expected and expected > size else
                f'it is not a valid safetensors file ({size} bytes)')
        raise CheckpointError(
            f'{path}: cannot read this .safetensors checkpoint: {what}. '
            f'Re-download it (a partial download leaves such a file). '
            f'(safetensors: {e})') from e


def is_torchscript(path: str) -> bool:
    """A zip archive with TorchScript's ``constants.pkl`` record."""
    if not zipfile.is_zipfile(path):
        return False
    with zipfile.ZipFile(path) as z:
        return any(n == 'constants.pkl' or n.endswith('/constants.pkl')
                   for n in z.namelist())


def _state_dict_command(path: str) -> str:
    dst = osp.splitext(path)[0] + '_state_dict.pth'
    return ('python -c "import torch; torch.save(torch.jit.load('
            f"'{path}', map_location='cpu').state_dict(), '{dst}')\"")


def read_torchscript(path: str, map_location='cpu') -> Dict[str, torch.Tensor]:
    """Parameters and buffers of a TorchScript archive (OpenAI CLIP ``.pt``).

    torch 2.14 deprecates ``torch.jit.load`` (FutureWarning, silenced here);
    where it is gone, the error gives the one-line conversion to a state dict
    (same keys, read by the ``clip`` layout) to run under an older torch.
    """
    if not hasattr(torch.jit, 'load'):
        raise CheckpointError(
            f'{path}: is a TorchScript archive (OpenAI CLIP) and this torch '
            f'{torch.__version__} has no torch.jit.load. Convert it once with '
            f'a torch that has it: {_state_dict_command(path)}')
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings('ignore', category=FutureWarning,
                                    message='.*torch.jit.load.*deprecated')
            module = torch.jit.load(path, map_location=_device(map_location))
    except Exception as e:
        raise CheckpointError(
            f'{path}: looks like a TorchScript archive but torch.jit.load '
            f'cannot read it ({type(e).__name__}: {e}); re-download it, or '
            f'convert it once to a state dict: {_state_dict_command(path)}'
        ) from e
    return {k: v.detach().clone() for k, v in module.state_dict().items()}


def _read_shards(folder: str, index_name: str, map_location) -> tuple:
    index_path = osp.join(folder, index_name)
    try:
        with open(index_path) as f:
            weight_map = json.load(f)['weight_map']
    except (OSError, ValueError, KeyError) as e:
        raise CheckpointError(
            f'{index_path}: not a readable shard index (needs a "weight_map" '
            f'of key -> shard file): {e}. Re-download the model folder.') from e
    state, files = {}, []
    for shard in sorted(set(weight_map.values())):
        shard_path = osp.join(folder, shard)
        if not osp.isfile(shard_path):
            raise CheckpointError(
                f'{index_path} lists shard {shard}, which is missing in '
                f'{folder}: download every shard of the model.')
        state.update(read_single_file(shard_path, map_location).obj)
        files.append(shard_path)
    return state, files


def read_folder(folder: str, map_location='cpu') -> LoadedFile:
    """A Hugging Face (transformers / timm / OpenCLIP) model folder."""
    name = next((n for n in FOLDER_WEIGHTS if osp.isfile(osp.join(folder, n))),
                None)
    if name is None:
        raise CheckpointError(
            f'{folder}: is a folder without model weights (found '
            f'{sorted(os.listdir(folder))[:10]}); a model folder needs one of '
            f'{list(FOLDER_WEIGHTS)}. Download the whole model repository, or '
            'give the weight file itself.')
    config = None
    for config_name in (HF_CONFIG, 'open_clip_config.json'):
        config_path = osp.join(folder, config_name)
        if osp.isfile(config_path):
            try:
                with open(config_path) as f:
                    config = json.load(f)
            except ValueError as e:
                raise CheckpointError(
                    f'{config_path}: not valid JSON ({e}); re-download it or '
                    'give the weight file instead of the folder.') from e
            break
    if name.endswith('.index.json'):
        state, files = _read_shards(folder, name, map_location)
        reader = 'safetensors' if 'safetensors' in name else 'torch'
        return LoadedFile(state, files, reader, config)
    loaded = read_single_file(osp.join(folder, name), map_location)
    loaded.config = config
    return loaded


def read_single_file(path: str, map_location='cpu') -> LoadedFile:
    if not osp.isfile(path):
        raise not_a_file_error(path, '') if special_file_kind(path) else missing_checkpoint_error(path)
    if path.endswith('.safetensors'):
        return LoadedFile(read_safetensors(path, map_location), [path],
                          'safetensors')
    if is_torchscript(path):
        return LoadedFile(read_torchscript(path, map_location), [path],
                          'torchscript')
    return LoadedFile(load_checkpoint_file(path, map_location=map_location),
                      [path], 'torch')


def read_weights(path: str, map_location='cpu') -> LoadedFile:
    """Read a checkpoint file, model folder or URL (see the module doc)."""
    path = str(path)
    if path.startswith(URL_PREFIXES):
        path = download_checkpoint(path)
    path = osp.expanduser(path)
    if osp.isdir(path):
        return read_folder(path, map_location)
    return read_single_file(path, map_location)
