"""tools/setup.sh, tools/run_tests.sh and .ci/run: syntax, the verification fast path, and what CI runs.

The 15-minute source build of mmcv's compiled ops (``--mmcv-ops full`` without a wheel) is not run here.
"""
import importlib.util
import os
import re
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


def readme_first_block():
    readme = (REPO / 'README.md').read_text()
    block = readme.split('```bash\n', 1)[1].split('```', 1)[0]
    return [line.split('#', 1)[0].strip() for line in block.splitlines() if line.strip()]


def test_readme_starts_with_two_commands_and_ci_runs_the_test_one():
    assert readme_first_block() == ['bash tools/quickstart.sh', 'bash tools/run_tests.sh']
    commands = [line.strip() for line in (REPO / '.ci' / 'run').read_text().splitlines()
                if line.strip().startswith('bash ')]
    assert commands == ['bash tools/run_tests.sh']


@pytest.mark.parametrize('script', ['run_tests.sh', 'quickstart.sh'])
def test_readme_commands_set_up_if_needed_first(script):
    lines = [line.strip() for line in (REPO / 'tools' / script).read_text().splitlines()]
    setup = lines.index('bash "$REPO/tools/setup.sh" --if-needed')
    assert setup < next(i for i, line in enumerate(lines) if line.startswith('exec '))


def test_ci_offers_shared_wheels_and_keeps_machine_links(tmp_path):
    """.ci/run in a stand-in checkout whose set-up and test scripts only record what they were given."""
    checkout = tmp_path / 'checkout'
    (checkout / '.ci').mkdir(parents=True)
    (checkout / 'tools').mkdir()
    (tmp_path / 'shared' / 'wheels').mkdir(parents=True)
    shutil.copy(REPO / '.ci' / 'run', checkout / '.ci' / 'run')
    record = tmp_path / 'record'
    (checkout / 'tools' / 'run_tests.sh').write_text(f'echo "tests $PIP_FIND_LINKS" >> {record}\n')
    result = _bash(['.ci/run'], {'PIP_FIND_LINKS': '/opt/wheels'}, cwd=checkout)
    assert result.returncode == 0, result.stderr
    assert record.read_text().splitlines() == [f'tests {tmp_path / "shared" / "wheels"} /opt/wheels']

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


def _check_env():
    spec = importlib.util.spec_from_file_location('check_env', REPO / 'tools' / 'check_env.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_locks_satisfy_the_requirements():
    """Editing a requirements file without `bash tools/setup.sh --relock` fails here."""
    check_env = _check_env()
    for lock, inputs in (('requirements.lock', ('requirements-lock.in', 'requirements.txt', 'requirements-test.txt')),
                         ('requirements-hf-reference.lock', ('requirements-hf-reference.txt',))):
        pins = check_env.locked_versions(REPO / lock)
        assert check_env.unmet(check_env.requirement_lines(*inputs), pins.get) == [], lock
        entries = re.split(r'\n(?=[A-Za-z0-9])', (REPO / lock).read_text().split('\n', 2)[2])
        assert len(entries) == len(pins) and all('--hash=sha256:' in entry for entry in entries), lock
    assert check_env.locked_versions(REPO / 'requirements.lock')['torch'] == '2.14.1'


def test_lock_drift_names_package_and_locked_version(monkeypatch, capsys):
    check_env = _check_env()
    pins = check_env.locked_versions(REPO / 'requirements.lock')
    monkeypatch.setattr(check_env, '_venv_version', lambda name: '0.0.1' if name == 'numpy' else pins.get(name))
    monkeypatch.setattr(check_env, '_installed', lambda name: name in pins)
    problem = check_env.check_lock()
    assert problem.startswith(f'drift from requirements.lock: numpy 0.0.1 (lock {pins["numpy"]}) (1 of {len(pins)})')
    assert 'Fix: bash tools/setup.sh' in problem
    monkeypatch.setattr(check_env, '_venv_version', pins.get)
    assert check_env.check_lock() is None and f'all {len(pins)} packages' in capsys.readouterr().out


@pytest.mark.skipif(not IN_VENV, reason='tests run outside a virtual environment; setup.sh manages venvs')
def test_if_needed_does_nothing_once_set_up():
    first = _bash(['tools/setup.sh', '--if-needed'], {'VIRTUAL_ENV': sys.prefix})
    assert first.returncode == 0, first.stdout + first.stderr
    again = _bash(['tools/setup.sh', '--if-needed'], {'VIRTUAL_ENV': sys.prefix})
    assert again.returncode == 0 and again.stdout == '' and again.stderr == ''  # the stamp matched: no checks ran
    assert (Path(sys.prefix) / '.mmvitdet-setup').read_text().splitlines()[1] == str(REPO)
