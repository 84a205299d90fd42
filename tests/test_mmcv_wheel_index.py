"""tools/mmcv_wheel_index.py: OpenMMLab's mmcv wheel index for a torch/CUDA pair (no network)."""
import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location('mmcv_wheel_index', REPO / 'tools/mmcv_wheel_index.py')
mmcv_wheel_index = importlib.util.module_from_spec(spec)
spec.loader.exec_module(mmcv_wheel_index)
BASE = 'https://download.openmmlab.com/mmcv/dist/'


@pytest.mark.parametrize('torch_version, cuda, folder', [
    ('2.1.2+cu121', '12.1', 'cu121/torch2.1'),  # the pair mmcv 2.1.0 has wheels for
    ('2.1.0', '11.8', 'cu118/torch2.1'),
    ('2.0.1+cu117', '11.7', 'cu117/torch2.0'),
    ('2.14.1+cu130', '13.0', 'cu130/torch2.14'),
    ('2.1.0+cpu', None, 'cpu/torch2.1'),
])
def test_index_url(torch_version, cuda, folder):
    assert mmcv_wheel_index.wheel_index_url(torch_version, cuda) == f'{BASE}{folder}/index.html'


def test_bad_torch_version_is_named():
    with pytest.raises(ValueError, match="'nightly'"):
        mmcv_wheel_index.wheel_index_url('nightly', '12.1')


def test_cli_without_gpu_prints_nothing_and_fails():
    import torch
    if torch.cuda.is_available():
        pytest.skip('a GPU is present: the CLI prints the index')
    result = subprocess.run([sys.executable, str(REPO / 'tools/mmcv_wheel_index.py')], capture_output=True, text=True)
    assert result.returncode == 1 and result.stdout == ''


def test_setup_tries_the_index_before_the_source_build():
    script = (REPO / 'tools/setup.sh').read_text()
    index_try = script.index('tools/mmcv_wheel_index.py')
    assert script.index('--only-binary mmcv -f "$index"') > index_try
    assert index_try < script.rindex('build_mmcv_from_source\n    fi')
