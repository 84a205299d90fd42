"""Resumable http(s) download into ``<dst>.part``, renamed to ``dst`` once complete.

torch.hub's and mmengine's downloaders restart a multi-GB file from zero after an interruption;
this one continues ``<dst>.part`` with an HTTP Range request (a server that ignores Range gets a
fresh download) and shows a rich progress bar. A transfer is bounded three ways in time: ``timeout`` per read,
``deadline`` for the whole file and ``min_rate`` (bytes/s, averaged from ``RATE_GRACE`` seconds on), so a server
that trickles a byte every few seconds cannot hold it for long; what arrived stays in ``.part``. It is bounded in
size by ``max_bytes``: a server announcing more is refused before a byte is written, and a transfer growing past
it stops and its ``.part`` is deleted (it is not the file). Before a transfer starts, the folder must have room
for the announced size.
"""
import http.client
import os
import re
import shutil
import time
import urllib.error
import urllib.request
from typing import Callable, Optional

from ..errors import UserInputError

CHUNK = 1 << 20
RATE_GRACE = 30.0  # seconds before min_rate applies (connection set-up, slow start)
DISK_MARGIN = 256 << 20  # free space kept beyond the announced size
DEFAULT_MAX_BYTES = 32 << 30  # files of unknown size (a URL in a config): the largest release is a 7B ViT in bf16


class DownloadError(UserInputError, OSError):
    """A file could not be fetched; the message says where to get it by hand."""


def _total_size(response, offset: int) -> Optional[int]:
    content_range = response.headers.get('Content-Range')
    if content_range:
        match = re.match(r'bytes \d+-\d+/(\d+)', content_range)
        if match:
            return int(match.group(1))
    length = response.headers.get('Content-Length')
    return offset + int(length) if length is not None else None


def _range_unsatisfiable_total(error: urllib.error.HTTPError) -> Optional[int]:
    match = re.match(r'bytes \*/(\d+)', error.headers.get('Content-Range', '') if error.headers else '')
    return int(match.group(1)) if match else None


def _check_room(url: str, folder: str, total: Optional[int], offset: int, max_bytes: Optional[int],
                bound: str) -> None:
    if total is not None and max_bytes is not None and total > max_bytes:
        raise DownloadError(f'{url}: the server announces {total} bytes, more than {bound} ({max_bytes} bytes); '
                            'not downloaded (nothing was written). If the file is genuine, raise that bound')
    if total is not None:
        free = shutil.disk_usage(folder).free
        if free < total - offset + DISK_MARGIN:
            raise DownloadError(f'{url}: needs {total - offset} more bytes (plus {DISK_MARGIN >> 20} MiB spare) in '
                                f'{folder}, which has {free} free; free some space or download to another folder')


def download(url: str, dst: str, verify: Optional[Callable[[str], None]] = None, progress: bool = True,
             timeout: float = 60.0, deadline: Optional[float] = None, min_rate: float = 0.0,
             max_bytes: Optional[int] = DEFAULT_MAX_BYTES, bound: str = 'the download limit') -> str:
    """Fetch ``url`` to ``dst`` (resuming ``dst + '.part'``); return ``dst``.

    ``verify(part_path)`` runs on the complete ``.part`` file before the rename; when it raises, the
    file is moved to ``dst + '.invalid'`` and the error propagates. An interrupted (or too slow, see the
    module doc) transfer leaves ``.part`` in place for the next call. ``max_bytes`` bounds the file (None: no
    bound); ``bound`` says what the bound is, for the message.
    """
    started = time.monotonic()
    part = dst + '.part'
    os.makedirs(os.path.dirname(os.path.abspath(dst)), exist_ok=True)
    offset = os.path.getsize(part) if os.path.exists(part) else 0
    request = urllib.request.Request(url, headers={'Range': f'bytes={offset}-'} if offset else {})
    try:
        response = urllib.request.urlopen(request, timeout=timeout)
    except urllib.error.HTTPError as e:
        if e.code == 416 and offset and _range_unsatisfiable_total(e) == offset:
            response = None  # the .part file is already complete
        else:
            raise DownloadError(f'{url}: HTTP {e.code} {e.reason}') from e
    except (urllib.error.URLError, OSError) as e:
        raise DownloadError(f'{url}: {getattr(e, "reason", e)}') from e
    if response is not None:
        with response:
            if offset and response.status != 206:
                offset = 0  # the server ignored Range: start again
            total = _total_size(response, offset)
            _check_room(url, os.path.dirname(os.path.abspath(dst)), total, offset, max_bytes, bound)
            _copy(response, part, offset, total, os.path.basename(dst), progress,
                  _Bounds(started, deadline, min_rate, url, max_bytes, offset, bound))
        size = os.path.getsize(part)
        if total is not None and size != total:
            raise DownloadError(f'{url}: transfer stopped at {size} of {total} bytes; run again to resume '
                                f'({part} is kept)')
    if verify is not None:
        try:
            verify(part)
        except Exception as e:  # e.g. an HTML page served with status 200, or a checkpoint of another size
            invalid = dst + '.invalid'
            os.replace(part, invalid)
            raise DownloadError(f'{url}: the downloaded file is not the expected one, kept as {invalid}: '
                                + str(e).replace(part, invalid)) from e
    os.replace(part, dst)
    return dst


class _Bounds:
    """The whole-file deadline and the minimum average rate of one transfer."""

    def __init__(self, started: float, deadline: Optional[float], min_rate: float, url: str,
                 max_bytes: Optional[int] = None, offset: int = 0, bound: str = ''):
        self.started, self.deadline, self.min_rate, self.url = started, deadline, min_rate, url
        self.max_bytes, self.offset, self.bound = max_bytes, offset, bound
        self.received = 0

    def check(self, got: int, part: str) -> None:
        self.received += got
        if self.max_bytes is not None and self.offset + self.received > self.max_bytes:
            os.remove(part)
            raise DownloadError(f'{self.url}: the transfer passed {self.bound} ({self.max_bytes} bytes); stopped and '
                                f'deleted {part} (it is not the file). If the file is genuine, raise that bound')
        spent = time.monotonic() - self.started
        if self.deadline is not None and spent > self.deadline:
            raise DownloadError(f'{self.url}: not complete after {spent:.0f} s (deadline {self.deadline:g} s; '
                                f'{self.received} bytes this time); run again to resume ({part} is kept)')
        if self.min_rate and spent > RATE_GRACE and self.received / spent < self.min_rate:
            raise DownloadError(f'{self.url}: {self.received / spent:.0f} bytes/s over {spent:.0f} s, below the '
                                f'minimum {self.min_rate:g} bytes/s; run again to resume ({part} is kept)')


def _copy(response, part: str, offset: int, total: Optional[int], label: str, progress: bool,
          bounds: Optional[_Bounds] = None) -> None:
    from rich.progress import (BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn,
                               TransferSpeedColumn)
    columns = (TextColumn('{task.description}'), BarColumn(), DownloadColumn(), TransferSpeedColumn(),
               TimeRemainingColumn())
    with Progress(*columns, disable=not progress) as bar, open(part, 'ab' if offset else 'wb') as f:
        task = bar.add_task(label, total=total, completed=offset)
        try:
            while True:
                chunk = response.read1(CHUNK)  # returns as soon as bytes arrive: the bounds are checked often
                if not chunk:
                    break
                f.write(chunk)
                bar.update(task, advance=len(chunk))
                if bounds is not None:
                    bounds.check(len(chunk), part)
        except DownloadError:  # a bound: its own message
            raise
        except (OSError, http.client.HTTPException) as e:  # reset, timeout, IncompleteRead mid-transfer
            f.flush()
            raise DownloadError(f'{label}: transfer interrupted after {f.tell()} bytes ({e}); run again to '
                                f'resume ({part} is kept)') from e
