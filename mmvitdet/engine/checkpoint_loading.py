"""Safe loading of checkpoint files with ``torch.load(weights_only=True)``.

torch >= 2.6 unpickles only allow-listed types by default, so mmengine 0.10.7's own checkpoints (and with them
``--resume``) stop loading. Instead of turning the safety off, importing this module allow-lists exactly the types
that mmengine writes into its checkpoints, plus ``argparse.Namespace`` (stored as ``args`` by the official DeiT, MAE
and MoCo v3 releases), and makes mmengine's loaders for local files and http(s) URLs use :func:`load_checkpoint_file`.

The allow-list was derived from a real mmengine Runner run (AdamW, LinearLR + cosine, CheckpointHook, LoggerHook)
with ``torch.serialization.get_unsafe_globals_in_checkpoint`` and a real resume: ``HistoryBuffer`` (message hub),
numpy arrays, scalars and dtypes (their statistics; resume also needs the dtype classes such as
``numpy.dtypes.Float64DType``, which that function does not report), and ``builtins.getattr``, which pickle uses to
refer to the ``HistoryBuffer.min/max/current/mean`` methods. ``getattr`` itself is NOT allow-listed: that name
resolves to :func:`_restricted_getattr`, which only returns those statistics methods.

A file that needs more types is refused with advice that stays safe (:func:`unsafe_file_message`: convert it once
in a throwaway environment). For code you control, :func:`allow_checkpoint_globals` extends the list; for files
you fully trust, ``MMVITDET_TRUSTED_CHECKPOINTS=1`` unpickles fully (runs any code the file holds). Neither is
suggested by an error message.
"""
import argparse
import os
import pickle
import re
import stat
import warnings
import zipfile
from typing import Any, Callable, List, Optional, Union
from urllib.parse import urlparse

import numpy as np
import torch
from mmengine.dist import get_dist_info
from mmengine.logging.history_buffer import HistoryBuffer
from mmengine.runner.checkpoint import CheckpointLoader

from ..errors import UserInputError

TRUST_ENV_VAR = 'MMVITDET_TRUSTED_CHECKPOINTS'
MAX_BYTES_ENV_VAR = 'MMVITDET_MAX_DOWNLOAD_BYTES'


class CheckpointLoadError(UserInputError, RuntimeError):
    """A checkpoint file could not be read (missing, truncated, corrupt or not a torch file)."""


class CheckpointNotFoundError(UserInputError, FileNotFoundError):
    """A checkpoint file does not exist."""


class UnsafeCheckpointError(CheckpointLoadError):
    """A checkpoint file needs types outside the weights-only allow-list."""


def _restricted_getattr(obj: Any, name: str) -> Callable:
    """Stands in for ``builtins.getattr`` while unpickling: only ``HistoryBuffer``'s statistics methods."""
    if obj is HistoryBuffer and not name.startswith('_') and name in vars(HistoryBuffer) \
            and callable(vars(HistoryBuffer)[name]):
        return vars(HistoryBuffer)[name]
    raise pickle.UnpicklingError(
        f'checkpoint asks for getattr({obj!r}, {name!r}); only the statistics methods of mmengine '
        'HistoryBuffer are allowed')


def _numpy_core() -> Any:
    # numpy 2 moved numpy.core to numpy._core; files written under numpy 1.x name the old module.
    return getattr(np, '_core', None) or np.core


_core = _numpy_core()
# (object, name under which pickle refers to it)
MMENGINE_SAFE_GLOBALS: List[Union[Callable, tuple]] = [
    HistoryBuffer,
    (_restricted_getattr, 'builtins.getattr'),
    np.ndarray,
    np.dtype,
    (_core.multiarray._reconstruct, 'numpy._core.multiarray._reconstruct'),
    (_core.multiarray.scalar, 'numpy._core.multiarray.scalar'),
    (_core.multiarray._reconstruct, 'numpy.core.multiarray._reconstruct'),
    (_core.multiarray.scalar, 'numpy.core.multiarray.scalar'),
    # dtype instances are rebuilt with BUILD, which checks the dtype's class (numpy.dtypes.Float64DType, ...)
    *sorted({type(np.dtype(t)) for t in (np.bool_, np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16,
                                          np.uint32, np.uint64, np.float16, np.float32, np.float64, np.complex64,
                                          np.complex128)}, key=lambda c: c.__name__),
]
RELEASE_SAFE_GLOBALS: List[Union[Callable, tuple]] = [argparse.Namespace]


# Globals that run or build arbitrary objects while unpickling: never named in advice, never to be allow-listed.
CODE_RUNNING = re.compile(r'(_load_from_bytes|\._rebuild_|^(builtins|__builtin__|copyreg|functools|operator|posix|nt|os|'
                          r'sys|subprocess|importlib|runpy|pickle|shutil)\.)')
UNSAFE_FILE_DOCS = 'docs/initializations.md#files-that-are-not-weights-only'


class CodeRunningGlobalError(UserInputError, ValueError):
    """``allow_checkpoint_globals`` was asked to allow a callable that runs or builds arbitrary objects."""


def allow_checkpoint_globals(*objs: Union[Callable, tuple]) -> None:
    """Allow more classes/functions in weights-only loads (``torch.serialization.add_safe_globals``).

    Only allow types whose construction from a checkpoint cannot run code you did not mean to run.
    Call it before loading, e.g. in a module listed in the config's ``custom_imports``.

    Raises:
        CodeRunningGlobalError: an entry is one of the callables that run or build arbitrary objects
            (``CODE_RUNNING``: ``torch.storage._load_from_bytes``, ``torch._utils._rebuild_*``, builtins, os, ...);
            nothing is allowed then.
    """
    refused = [_global_name(o) for o in objs if CODE_RUNNING.search(_global_name(o))]
    if refused:
        raise CodeRunningGlobalError(
            f'allow_checkpoint_globals: refused {", ".join(refused)}: unpickling through it runs or builds arbitrary '
            'objects (code of the file), which weights-only loading exists to prevent; allow only plain data '
            'classes, and get a weights-only file for the rest (' + UNSAFE_FILE_DOCS + ')')
    torch.serialization.add_safe_globals(list(objs))


def _global_name(entry: Union[Callable, tuple]) -> str:
    if isinstance(entry, tuple):
        return entry[1]
    return f'{entry.__module__}.{entry.__qualname__}'


def _unsafe_globals(path: str, error: Exception) -> List[str]:
    """Names of what ``path`` needs outside the allow-list, read from the unpickler's error and, for globals,
    from the whole file (so all of them are named at once)."""
    msg = str(error)
    found = set(re.findall(r'GLOBAL (\S+) (?:was not an allowed global|whose module \S+ is blocked)', msg))
    found.update(re.findall(r"but got <class '([^']+)'>", msg))  # BUILD of an instance of a type not allowed
    found.update(re.findall(r'unrecognized function (\S+)', msg))
    if found and 'GLOBAL' in msg:
        try:
            found.update(torch.serialization.get_unsafe_globals_in_checkpoint(path))
        except Exception:  # legacy (non-zip) files: what the unpickler reported is all we know
            pass
    allowed = {_global_name(g) for g in torch.serialization.get_safe_globals()}
    return sorted(found - allowed) or sorted(found)


def _short(error: Exception) -> str:
    """The informative part of torch's (long) weights-only error message."""
    msg = str(error)
    if 'WeightsUnpickler error:' in msg:
        msg = msg.split('WeightsUnpickler error:', 1)[1].strip().split('\n')[0]
    return msg[:300]


def _describe_bad_file(path: str) -> str:
    size = os.path.getsize(path)
    with open(path, 'rb') as f:
        head = f.read(4)
    if size == 0:
        return 'it is empty'
    if head.startswith(b'PK'):
        if not zipfile.is_zipfile(path):
            return f'it is a truncated or corrupt torch zip file ({size} bytes)'
        return f'it is a corrupt torch zip file ({size} bytes)'
    if head[:1] == b'\x80':  # pickle protocol marker: legacy torch format or plain pickle
        return (f'it is a pickle file ({size} bytes) that torch.load cannot read: a truncated or corrupt legacy '
                'torch file, or a plain pickle not written by torch.save')
    return f'it is not a torch checkpoint (starts with {head!r}, {size} bytes)'




def unsafe_file_message(path: str, names: List[str], blocked: bool = False) -> str:
    """The error for a file that needs globals outside the allow-list. Its advice is safe whatever the file holds:
    get a weights-only file from the publisher, or convert it in an isolated environment (docs); it never gives a
    command that unpickles the file, and never suggests widening the allow-list."""
    runs_code = blocked or any(CODE_RUNNING.search(n) for n in names)
    what = ('it calls functions that run or build arbitrary objects while unpickling (e.g. an old-format pickle or a '
            'payload)' if runs_code else f'it stores objects of {", ".join(names)} besides the weights')
    return (f'checkpoint {path} is not a weights-only file: {what}, so it is not loaded (loading it fully would run '
            'whatever it holds). Ask its publisher for a weights-only file (safetensors, or a state dict of plain '
            'tensors), or convert it in an isolated environment with nothing of value and no network, as described '
            f'in {UNSAFE_FILE_DOCS}')


def special_file_kind(path: str) -> Optional[str]:
    """'a directory', 'a FIFO (named pipe)', ... when ``path`` (links followed) exists but is not a regular file."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return None
    kinds = ((stat.S_ISDIR, 'a directory'), (stat.S_ISFIFO, 'a FIFO (named pipe)'), (stat.S_ISCHR, 'a character device'),
             (stat.S_ISBLK, 'a block device'), (stat.S_ISSOCK, 'a socket'))
    return next((name for test, name in kinds if test(mode)), None)


def not_a_file_error(path: str, advice: str) -> CheckpointLoadError:
    """The error for a checkpoint path that is not a regular file: missing (with ``advice``), or a special file."""
    kind = special_file_kind(path)
    if kind is not None:
        link = f' (a link to {os.path.realpath(path)})' if os.path.islink(path) else ''
        return CheckpointLoadError(f'checkpoint {path}{link} is not a regular file but {kind}: give the path of a '
                                   'checkpoint file')
    return CheckpointNotFoundError(f'checkpoint file {path} does not exist ({advice})')


def load_checkpoint_file(path: str, map_location: Any = 'cpu', mmap: bool = False) -> Any:
    """Load a checkpoint file with ``weights_only=True`` and the allow-list above.

    Args:
        path: local file path (``~`` is expanded).
        map_location: as for ``torch.load`` (``'cpu'``, a device, a callable, ...).
        mmap: map the tensors' storage from the file instead of reading it (zip files; for reading metadata).

    Returns:
        Whatever the file holds (usually a dict of tensors and plain values).

    Raises:
        CheckpointNotFoundError: the file does not exist (a FileNotFoundError).
        CheckpointLoadError: the path is a directory, FIFO, device or socket (never read).
        UnsafeCheckpointError: the file needs types outside the allow-list; names them and the fix.
        CheckpointLoadError: the file is empty, truncated, corrupt or not a torch file.
    """
    path = os.path.expanduser(str(path))
    if not os.path.isfile(path):
        raise not_a_file_error(path, 'check the path in the config / command line')
    if os.environ.get(TRUST_ENV_VAR) == '1':
        warnings.warn(f'{TRUST_ENV_VAR}=1: loading {path} with full unpickling (weights_only=False), which runs '
                      'any code the file holds; only do this for files you trust')
        load_kwargs = dict(weights_only=False)
    else:
        load_kwargs = dict(weights_only=True)
    from .checkpoint_digest import check_digest
    problem = check_digest(path)
    if problem is not None:
        raise CheckpointLoadError(f'checkpoint {path} does not verify: {problem}. If it is a run\'s own checkpoint, '
                                  'resume from the previous one (--resume without a file takes the newest that '
                                  'verifies); the file is kept')
    try:
        if mmap and zipfile.is_zipfile(path):
            load_kwargs['mmap'] = True
        return torch.load(path, map_location=map_location, **load_kwargs)
    except Exception as e:  # torch raises many types for bad files (OSError, EOFError, KeyError, RuntimeError, ...)
        names = _unsafe_globals(path, e) if isinstance(e, pickle.UnpicklingError) else []
        if names:
            raise UnsafeCheckpointError(unsafe_file_message(path, names, blocked='is blocked' in str(e))) from e
        own = re.match(r'(epoch|iter)_\d+\.pth$', os.path.basename(path))  # a run's own checkpoint
        fix = ('resume from the previous checkpoint of the run (--resume without a file takes the newest that '
               'verifies); the file is kept' if own else 're-download or re-create it')
        raise CheckpointLoadError(
            f'could not load checkpoint {path}: {_describe_bad_file(path)}; {fix} '
            f'({type(e).__name__}: {_short(e)})') from e


def _mmengine_local_loader(filename: str, map_location: Any = None) -> Any:
    """mmengine ``CheckpointLoader`` scheme for local paths (replaces ``load_from_local``)."""
    return load_checkpoint_file(filename, map_location=map_location)


def _download(url: str, model_dir: Optional[str], progress: bool) -> str:
    """Download ``url`` once into ``model_dir`` (default: torch hub's checkpoints folder); return the local path."""
    model_dir = model_dir or os.path.join(torch.hub.get_dir(), 'checkpoints')
    os.makedirs(model_dir, exist_ok=True)
    path = os.path.join(model_dir, os.path.basename(urlparse(url).path))
    if not os.path.isfile(path):
        from ..utils.download import DEFAULT_MAX_BYTES, download
        limit = int(os.environ.get(MAX_BYTES_ENV_VAR, DEFAULT_MAX_BYTES))
        download(url, path, progress=progress, max_bytes=limit,  # .part + rename: never half-written
                 bound=f'the download limit for files of unknown size ({MAX_BYTES_ENV_VAR})')
    return path


def download_checkpoint(url: str, model_dir: Optional[str] = None, progress: bool = os.isatty(0)) -> str:
    """Local copy of ``url`` in ``model_dir`` (default: torch hub's checkpoints folder), downloaded once, rank 0
    first; other ranks wait at a barrier and then find the file."""
    rank, world_size = get_dist_info()
    if rank == 0:
        path = _download(url, model_dir, progress)
    if world_size > 1:
        torch.distributed.barrier()
        if rank > 0:
            path = _download(url, model_dir, progress)
    return path


def _mmengine_http_loader(filename: str, map_location: Any = None, model_dir: Optional[str] = None,
                          progress: bool = os.isatty(0)) -> Any:
    """mmengine scheme for http(s) URLs. mmengine's ``load_from_http`` goes through
    ``torch.hub.load_state_dict_from_url``, whose default is ``weights_only=False`` (full unpickling of a download);
    this one downloads the same way (:func:`download_checkpoint`) and loads with :func:`load_checkpoint_file`."""
    path = download_checkpoint(filename, model_dir, progress)
    return load_checkpoint_file(path, map_location=map_location)


torch.serialization.add_safe_globals([*MMENGINE_SAFE_GLOBALS, *RELEASE_SAFE_GLOBALS])  # getattr: the restricted one
CheckpointLoader.register_scheme(prefixes='', loader=_mmengine_local_loader, force=True)
CheckpointLoader.register_scheme(prefixes=('http://', 'https://'), loader=_mmengine_http_loader, force=True)
