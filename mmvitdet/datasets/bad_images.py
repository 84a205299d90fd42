"""Images that failed to decode during training are remembered in the work dir, so a resume does not meet them
again an epoch later.

When a run on own data stops on an undecodable image (:class:`~.checked_loading.ImageReadError`), tools/train.py
records the file with its size and modification time in ``<work_dir>/bad_images.json``. The next launch in that
work dir checks each recorded file before building anything: unchanged, it stops at once naming the file; changed
(replaced, re-exported), it is decoded again and forgotten when it decodes; removed, it is forgotten (the launch
check then reports it if the annotations still list it).
"""
import json
import os
import os.path as osp
import re
from typing import List, Optional

from ..engine.atomic_local_backend import atomic_write_bytes
from .checked_loading import ImageReadError
from .own_data_check import decode_problem

RECORD = 'bad_images.json'


def _read(work_dir: str) -> List[dict]:
    path = osp.join(work_dir, RECORD)
    if not osp.isfile(path):
        return []
    with open(path) as f:
        return json.load(f)


def _write(work_dir: str, records: List[dict]) -> None:
    path = osp.join(work_dir, RECORD)
    if records:
        atomic_write_bytes(json.dumps(records, indent=1).encode(), path)
    elif osp.exists(path):
        os.remove(path)


def record_bad_image(work_dir: str, message: str) -> Optional[str]:
    """Remember the image named by an ImageReadError ``message`` (its one-line form); returns its path."""
    match = re.search(r"image '([^']+)'", message)
    if not match or not osp.isfile(match.group(1)):
        return None
    path = match.group(1)
    stat = os.stat(path)
    records = [r for r in _read(work_dir) if r.get('path') != path]
    records.append(dict(path=path, size=stat.st_size, mtime_ns=stat.st_mtime_ns, error=message[:500]))
    os.makedirs(work_dir, exist_ok=True)
    _write(work_dir, records)
    return path


def check_recorded_bad_images(work_dir: str) -> None:
    """Raise :class:`ImageReadError` for a recorded image that is unchanged or still does not decode."""
    records = _read(work_dir)
    kept = []
    for record in records:
        path = record.get('path', '')
        if not osp.isfile(path):
            continue
        stat = os.stat(path)
        if (stat.st_size, stat.st_mtime_ns) == (record.get('size'), record.get('mtime_ns')):
            raise ImageReadError(
                f"image '{path}' could not be decoded in an earlier launch in this work dir and is unchanged since "
                f'({osp.join(work_dir, RECORD)}): replace it with a good copy, or remove it and its annotations '
                'from the annotation file, then run again')
        problem = decode_problem(path)
        if problem:
            raise ImageReadError(f"image '{path}' was replaced since it failed to decode, and the new file does not "
                                 f'decode either ({problem}): replace it with a good copy, or remove it and its '
                                 'annotations from the annotation file')
    if len(kept) != len(records):
        _write(work_dir, kept)
