"""tools/setup.sh, tools/run_tests.sh and .ci/run: syntax, the verification fast path, and what CI runs.

The 15-minute source build of mmcv's compiled ops (``--mmcv-ops full`` without a wheel) is not run here.
"""
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SCRIPTS = sorted(REPO.glob('tools/*.sh')) + [REPO / '.ci' / 'run']
IN_VENV = sys.prefix != sys.base_prefix


def _bash(args, env_update=None, cwd=REPO, timeout=120):
    env = {k: v for k, v in os.environ.items() if k != 'VIRTUAL_ENV'}
    env.update(env_update or {})
    return subprocess.run(['bash', *map(str, args)], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=timeout)


@pytest.mark.parametrize('script', SCRIPTS, ids=lambda p: str(p.relative_to(REPO)))
def test_scripts_parse_and_fail_fast(script):
    assert _bash(['-n', script]).returncode == 0
    assert 'set -euo pipefail' in script.read_text()


def test_ci_runs_exactly_the_readme_commands():
    commands = [line.strip() for line in (REPO / '.ci' / 'run').read_text().splitlines()
                if line.strip().startswith('bash ')]
    assert commands == ['bash tools/setup.sh', 'bash tools/run_tests.sh']


def test_ci_offers_shared_wheels_and_keeps_machine_links(tmp_path):
    """.ci/run in a stand-in checkout whose set-up and test scripts only record what they were given."""
    checkout = tmp_path / 'checkout'
    (checkout / '.ci').mkdir(parents=True)
    (checkout / 'tools').mkdir()
    (tmp_path / 'shared' / 'wheels').mkdir(parents=True)
    shutil.copy(REPO / '.ci' / 'run', checkout / '.ci' / 'run')
    record = tmp_path / 'record'
    (checkout / 'tools' / 'setup.sh').write_text(f'echo "setup $PIP_FIND_LINKS" >> {record}\n')
    (checkout / 'tools' / 'run_tests.sh').write_text(f'echo "tests $*" >> {record}\n')
    result = _bash(['.ci/run'], {'PIP_FIND_LINKS': '/opt/wheels'}, cwd=checkout)
    assert result.returncode == 0, result.stderr
    assert record.read_text().splitlines() == [f'setup {tmp_path / "shared" / "wheels"} /opt/wheels', 'tests ']

    (checkout / 'tools' / 'run_tests.sh').write_text('exit 3\n')  # a failing test run fails CI
    assert _bash(['.ci/run'], cwd=checkout).returncode == 3


@pytest.mark.skipif(not IN_VENV, reason='tests run outside a virtual environment; setup.sh manages venvs')
def test_setup_check_passes_quickly_in_this_environment():
    start = time.monotonic()
    result = _bash(['tools/setup.sh', '--check'], {'VIRTUAL_ENV': sys.prefix})
    assert result.returncode == 0, result.stdout + result.stderr
    # either backend of mmcv's two ops Mask R-CNN needs, named (the default: mmcv-lite + torchvision's kernels)
    assert ('mmcv-lite 2.1.0, ops nms and RoIAlign on torchvision kernels (mmvitdet/ops): ok' in result.stdout
            or 'mmcv 2.1.0 with compiled ops: ok' in result.stdout)
    assert time.monotonic() - start < 90  # imports only: the idempotent path does no pip work


def test_setup_check_names_what_is_missing(tmp_path):
    venv = tmp_path / 'empty-venv'
    subprocess.run([sys.executable, '-m', 'venv', '--without-pip', str(venv)], check=True, timeout=60)
    result = _bash(['tools/setup.sh', '--check'], {'VIRTUAL_ENV': str(venv)})
    assert result.returncode == 1
    assert "No module named 'torch'" in result.stdout + result.stderr
    assert 'Fix: bash tools/setup.sh' in result.stderr
    assert list(venv.iterdir())  # --check changed nothing: still the bare venv
    assert not list((venv / 'lib').glob('python*/site-packages/torch'))


def test_setup_rejects_bad_arguments_and_environments(tmp_path):
    assert _bash(['tools/setup.sh', '--fast']).returncode == 2
    bad_ops = _bash(['tools/setup.sh', '--mmcv-ops', 'some'])
    assert bad_ops.returncode == 2 and "--mmcv-ops takes full or lite, not 'some'" in bad_ops.stderr
    result = _bash(['tools/setup.sh', '--check'], {'VIRTUAL_ENV': str(tmp_path / 'no-such-venv')})
    assert result.returncode == 1 and 'no-such-venv' in result.stderr


@pytest.mark.skipif(not IN_VENV, reason='run_tests.sh uses a virtual environment')
def test_run_tests_passes_arguments_to_pytest():
    result = _bash(['tools/run_tests.sh', '--version'], {'VIRTUAL_ENV': sys.prefix})
    assert result.returncode == 0 and 'pytest' in result.stdout + result.stderr


def test_run_tests_without_environment_says_how_to_set_up(tmp_path):
    result = _bash(['tools/run_tests.sh'], {'VIRTUAL_ENV': str(tmp_path / 'none')})
    assert result.returncode == 1 and 'bash tools/setup.sh' in result.stderr
