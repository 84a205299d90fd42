"""tools/download_checkpoints.py over a loopback HTTP server: Range resume after an interrupted
transfer, atomic rename, the format/size check, unreachable files; file names and URLs read from
the configs."""
import functools
import http.server
import importlib.util
import threading
from pathlib import Path

import pytest
import torch

from checkpoint_layouts import C, DEPTH, HEADS, reference_vit, timm_state
from mmvitdet.checkpoints.official_files import official_files
from mmvitdet.utils.download import DownloadError

REPO = Path(__file__).resolve().parents[1]
CONFIG = '''# A tiny MAE init. Checkpoint: {name} of
# https://example.org/mae-project
# ({base}/files/{name}),
# placed in MMVITDET_CHECKPOINTS.
checkpoint_dir = '{{{{$MMVITDET_CHECKPOINTS:checkpoints}}}}/'
model = dict(backbone=dict(
    type='ViT', arch=dict(embed_dims={width}, num_layers={depth}, num_heads={heads}),
    init_cfg=dict(type='Pretrained', checkpoint=checkpoint_dir + '{name}', format='mae')))
'''


class RangeHandler(http.server.SimpleHTTPRequestHandler):
    """Serves a folder with ``Range: bytes=N-`` support; ``cut_after`` bytes into the first full
    transfer it drops the connection (an interrupted download)."""
    state = None  # dict(cut_after=int | None, ranges=[...]), set per server

    def log_message(self, *args):
        pass

    def do_GET(self):
        path = Path(self.translate_path(self.path))
        if not path.is_file():
            self.send_error(404)
            return
        data = path.read_bytes()
        requested = self.headers.get('Range')
        self.state['ranges'].append(requested)
        start = int(requested.split('=')[1].rstrip('-')) if requested else 0
        if start >= len(data) and requested:
            self.send_response(416)
            self.send_header('Content-Range', f'bytes */{len(data)}')
            self.end_headers()
            return
        self.send_response(206 if requested else 200)
        if requested:
            self.send_header('Content-Range', f'bytes {start}-{len(data) - 1}/{len(data)}')
        self.send_header('Content-Length', str(len(data) - start))
        self.end_headers()
        body = data[start:]
        cut = self.state.get('cut_after')
        if cut is not None and not requested:
            self.state['cut_after'] = None
            self.wfile.write(body[:cut])
            self.wfile.flush()
            self.close_connection = True
            self.connection.shutdown(2)
            return
        self.wfile.write(body)


@pytest.fixture
def server(tmp_path):
    (tmp_path / 'www' / 'files').mkdir(parents=True)
    state = dict(cut_after=None, ranges=[])
    handler = type('Handler', (RangeHandler,), dict(state=state))
    httpd = http.server.ThreadingHTTPServer(('127.0.0.1', 0), functools.partial(handler,
                                                                                 directory=str(tmp_path / 'www')))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f'http://127.0.0.1:{httpd.server_address[1]}', tmp_path / 'www' / 'files', state
    httpd.shutdown()
    httpd.server_close()


def _tool():
    spec = importlib.util.spec_from_file_location('download_checkpoints', REPO / 'tools/download_checkpoints.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _setup(tmp_path, base, files_dir, depth=DEPTH, name='tiny_mae.pth'):
    """A config folder naming ``name`` (a ViT of the given depth) and the served MAE-layout file."""
    config_dir = tmp_path / 'configs' / 'mae'
    config_dir.mkdir(parents=True, exist_ok=True)
    (config_dir / 'mask-rcnn_vit-t-mae_fpn_lsj-1e_coco.py').write_text(
        CONFIG.format(base=base, name=name, width=C, depth=depth, heads=HEADS))
    torch.save({'model': timm_state(reference_vit().state_dict())}, files_dir / name)
    return str(tmp_path / 'configs'), (files_dir / name).read_bytes()


def test_interrupted_download_resumes_and_is_verified(tmp_path, server, capsys, monkeypatch):
    base, files_dir, state = server
    configs, payload = _setup(tmp_path, base, files_dir)
    target = tmp_path / 'ckpts'
    monkeypatch.delenv('MMVITDET_CHECKPOINTS', raising=False)
    state['cut_after'] = len(payload) // 3
    argv = ['--configs', configs, '--dir', str(target), '--no-progress']
    with pytest.raises(DownloadError, match='tiny_mae.pth'):
        _tool().main(argv)
    part = target / 'tiny_mae.pth.part'
    assert part.is_file() and 0 < part.stat().st_size < len(payload)
    assert not (target / 'tiny_mae.pth').exists()

    assert _tool().main(argv) == 0
    assert state['ranges'][-1] == f'bytes={len(payload) // 3}-'  # resumed, not restarted
    assert (target / 'tiny_mae.pth').read_bytes() == payload and not part.exists()
    assert f'mae layout, width {C}, depth {DEPTH}' in capsys.readouterr().out

    assert _tool().main(argv) == 0  # present: nothing fetched
    assert 'present' in capsys.readouterr().out and len(state['ranges']) == 2


def test_file_of_another_size_is_rejected(tmp_path, server, monkeypatch):
    base, files_dir, _ = server
    configs, _ = _setup(tmp_path, base, files_dir, depth=DEPTH + 2)
    target = tmp_path / 'ckpts'
    with pytest.raises(Exception, match=f'width {C} and depth {DEPTH} .* needs width {C} and depth {DEPTH + 2}'):
        _tool().main(['--configs', configs, '--dir', str(target), '--no-progress'])
    assert not (target / 'tiny_mae.pth').exists() and (target / 'tiny_mae.pth.invalid').is_file()


def test_unreachable_file_says_where_to_get_it(tmp_path, server):
    base, files_dir, _ = server
    configs, _ = _setup(tmp_path, base, files_dir)
    (files_dir / 'tiny_mae.pth').unlink()
    target = tmp_path / 'ckpts'
    with pytest.raises(DownloadError) as e:
        _tool().main(['--configs', configs, '--dir', str(target), '--no-progress'])
    message = str(e.value)
    assert 'HTTP 404' in message and 'download it by hand' in message
    assert 'https://example.org/mae-project' in message and str(target / 'tiny_mae.pth') in message


def test_paper_configs_name_their_files_and_urls():
    files = official_files(str(REPO / 'configs'))
    paper = {(f.init, f.size): f for f in files.values()
             if f.init in ('supervised', 'mocov3', 'beit', 'mae')}
    assert set(paper) == {(i, s) for i in ('supervised', 'mocov3', 'beit', 'mae') for s in ('b', 'l')}
    for f in paper.values():
        assert f.url.startswith('https://') and f.url.endswith('/' + f.name), f
        assert (f.width, f.depth) == {'b': (768, 12), 'l': (1024, 24)}[f.size]
    assert files['mae_pretrain_vit_base.pth'].format == 'mae'
    assert any('vitdet' in c for c in files['mae_pretrain_vit_base.pth'].configs)


class TrickleHandler(http.server.BaseHTTPRequestHandler):
    """Announces 10^6 bytes and sends one every 0.2 s."""

    def log_message(self, *args):
        pass

    def do_GET(self):
        import time
        self.send_response(200)
        self.send_header('Content-Length', str(10**6))
        self.end_headers()
        try:
            for _ in range(200):
                self.wfile.write(b'x')
                self.wfile.flush()
                time.sleep(0.2)
        except (BrokenPipeError, ConnectionResetError):
            pass


def test_a_trickling_server_is_bounded(tmp_path):
    import time

    from mmvitdet.utils.download import download
    httpd = http.server.ThreadingHTTPServer(('127.0.0.1', 0), TrickleHandler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        start = time.monotonic()
        with pytest.raises(DownloadError, match=r'not complete after \d+ s \(deadline 2 s.*run again to resume'):
            download(f'http://127.0.0.1:{httpd.server_address[1]}/f.pth', str(tmp_path / 'f.pth'), progress=False,
                     timeout=5, deadline=2)
        assert time.monotonic() - start < 6  # not the 200 s the server would take
        assert (tmp_path / 'f.pth.part').is_file() and not (tmp_path / 'f.pth').exists()
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_a_bad_file_does_not_stop_the_others(tmp_path, server, monkeypatch):
    """An HTML page served with status 200 for the first file: it is reported (kept as .invalid, which exists),
    the second file is still fetched, the summary counts both, and the exit is an error."""
    base, files_dir, _ = server
    configs, _ = _setup(tmp_path, base, files_dir, name='a_first.pth')
    (files_dir / 'a_first.pth').write_text('<html><body>Please log in</body></html>')
    second = tmp_path / 'configs' / 'mae' / 'mask-rcnn_vit-s-mae_fpn_lsj-1e_coco.py'
    second.write_text(CONFIG.format(base=base, name='b_second.pth', width=C, depth=DEPTH, heads=HEADS))
    torch.save({'model': timm_state(reference_vit().state_dict())}, files_dir / 'b_second.pth')
    target = tmp_path / 'ckpts'
    with pytest.raises(DownloadError) as e:
        _tool().main(['--configs', configs, '--dir', str(target), '--no-progress'])
    message = str(e.value)
    assert message.startswith('1 of 2 files not fetched: a_first.pth')
    assert str(target / 'a_first.pth.invalid') in message and '.part' not in message
    assert (target / 'a_first.pth.invalid').is_file() and (target / 'b_second.pth').is_file()


class OversizeHandler(http.server.BaseHTTPRequestHandler):
    """Announces 10 GB (``announce``) or nothing (a close-delimited body), then streams zeros until the client
    stops reading."""
    announce = True

    def log_message(self, *args):
        pass

    def do_GET(self):
        self.send_response(200)
        if self.announce:
            self.send_header('Content-Length', str(10 * 10**9))
        self.end_headers()
        try:
            for _ in range(64):  # at most 64 MiB, if nothing stops the client
                self.wfile.write(b'\0' * (1 << 20))
        except (BrokenPipeError, ConnectionResetError):
            pass


@pytest.mark.parametrize('announce', [True, False])
def test_downloads_are_capped(tmp_path, announce):
    """A server announcing 10 GB is refused before a byte is written; one that announces nothing is stopped once
    the transfer passes the bound, and its .part is deleted."""
    from mmvitdet.utils.download import download
    handler = type('Handler', (OversizeHandler,), dict(announce=announce))
    httpd = http.server.ThreadingHTTPServer(('127.0.0.1', 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        expected = r'announces 10000000000 bytes, more than the bound \(2097152 bytes\); not downloaded' if announce \
            else r'the transfer passed the bound \(2097152 bytes\); stopped and deleted'
        with pytest.raises(DownloadError, match=expected):
            download(f'http://127.0.0.1:{httpd.server_address[1]}/f.pth', str(tmp_path / 'f.pth'), progress=False,
                     timeout=5, max_bytes=2 << 20, bound='the bound')
        assert not list(tmp_path.iterdir())  # no .part, no file
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_official_files_are_bounded_by_their_architecture_and_free_space_is_checked(tmp_path, server, monkeypatch):
    import collections
    files = official_files(str(REPO / 'configs'))
    base = files['mae_pretrain_vit_base.pth']
    assert 2.0e9 < base.max_bytes < 2.2e9 and base.max_bytes < files['mae_pretrain_vit_large.pth'].max_bytes < 8e9
    url, files_dir, _ = server
    configs, payload = _setup(tmp_path, url, files_dir)
    usage = collections.namedtuple('usage', 'total used free')
    monkeypatch.setattr('shutil.disk_usage', lambda path: usage(10**12, 10**12 - 1000, 1000))
    with pytest.raises(DownloadError, match=rf'needs {len(payload)} more bytes .* which has 1000 free'):
        _tool().main(['--configs', configs, '--dir', str(tmp_path / 'ckpts'), '--no-progress'])
    assert not (tmp_path / 'ckpts' / 'tiny_mae.pth.part').exists()
    monkeypatch.undo()
    with pytest.raises(DownloadError, match=r'more than --max-bytes \(100 bytes\)'):
        _tool().main(['--configs', configs, '--dir', str(tmp_path / 'ckpts'), '--no-progress', '--max-bytes', '100'])
