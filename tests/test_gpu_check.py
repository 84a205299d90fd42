"""tools/gpu_check.py: its pieces (carried wheels, phases, OOM, report) and its dry run, which runs every phase
kind on the CPU at a tiny size. GPU-only checks are marked ``gpu``."""
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import torch

from mmvitdet.gpu_check import carried, child, phases, plan, prepare, report
from mmvitdet.gpu_check.phases import PhaseFailed, PhaseResult, PhaseRunner, PhaseSkipped

REPO = Path(__file__).resolve().parents[1]
needs_cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason='needs a CUDA device')

def make_wheel(folder: Path, name: str, requires=()) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    wheel = folder / f'{name}-0.1-py3-none-any.whl'
    meta = f'{name}-0.1.dist-info'
    with zipfile.ZipFile(wheel, 'w') as zf:
        zf.writestr(f'{name}/__init__.py', '')
        zf.writestr(f'{meta}/METADATA', 'Metadata-Version: 2.1\nName: {}\nVersion: 0.1\n{}'.format(
            name, ''.join(f'Requires-Dist: {r}\n' for r in requires)))
        zf.writestr(f'{meta}/WHEEL', 'Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n')
        zf.writestr(f'{meta}/RECORD', '')
    return wheel


# ---------------------------------------------------------------- carried wheels
def test_install_commands():
    wheels = [Path('w/a-1-py3-none-any.whl')]
    cmd = carried.install_command('python3', wheels, Path('/tmp/site'))
    assert cmd[:4] == ['python3', '-m', 'pip', 'install'] and cmd[-1] == 'w/a-1-py3-none-any.whl'
    assert {'--no-index', '--no-deps'} <= set(cmd) and cmd[cmd.index('--target') + 1] == '/tmp/site'
    check = carried.install_check_command('python3', wheels, Path('/tmp/t'))
    assert '--dry-run' in check and check[check.index('--python-version') + 1] == '3.12'
    assert check[check.index('--abi') + 1] == 'cp312' and check.count('--platform') >= 4


def test_manifest_and_its_errors(tmp_path):
    carry = tmp_path / 'carry'
    make_wheel(carry / 'wheels', 'demo')
    wheel = make_wheel(carry / 'wheels', 'other')
    with pytest.raises(FileNotFoundError, match='--prepare'):
        carried.read_manifest(carry)
    manifest = prepare.write_manifest(carry, ['demo==0.1', 'other==0.1'])
    assert [f['path'] for f in manifest['files']] == ['wheels/demo-0.1-py3-none-any.whl',
                                                      'wheels/other-0.1-py3-none-any.whl']
    assert carried.wheel_paths(carry, carried.read_manifest(carry))[0] == carry / 'wheels/demo-0.1-py3-none-any.whl'
    wheel.write_bytes(b'changed')
    with pytest.raises(ValueError, match='other-0.1-py3-none-any.whl differs'):
        carried.read_manifest(carry)
    wheel.unlink()
    with pytest.raises(FileNotFoundError, match='missing'):
        carried.read_manifest(carry)


def test_missing_requirements_against_the_gpu_image(tmp_path):
    wheels = [
        make_wheel(tmp_path, 'alpha', ['numpy', 'beta>=1', 'opencv-python>=3', 'tomli; python_version < "3.11"',
                                       'pytest; extra == "dev"', 'gamma']),
        make_wheel(tmp_path, 'beta', ['Torch']),
    ]
    assert prepare.missing_requirements(wheels) == {'gamma': ['alpha-0.1-py3-none-any.whl']}


def test_every_runtime_requirement_travels_or_is_in_the_gpu_image(tmp_path):
    # a dependency added to requirements.txt must be added to the carried set too
    assert prepare.uncovered_requirements(REPO / 'requirements.txt') == []
    extra = tmp_path / 'requirements.txt'
    extra.write_text('mmdet==3.3.0  # ok\n-r other.txt\nnumpy\nfancy-new-lib>=1\n')
    assert prepare.uncovered_requirements(extra) == ['fancy-new-lib']


def test_prepare_commands_pin_cp312_manylinux():
    cmd = prepare.download_wheels_command('python', ['mmdet==3.3.0'], Path('d'))
    assert '--no-deps' in cmd and cmd[cmd.index('--only-binary') + 1] == ':all:'
    assert cmd[cmd.index('--python-version') + 1] == '3.12' and 'manylinux2014_x86_64' in cmd
    assert 'mmcv-lite==2.1.0' in prepare.pinned_requirements(['mmcv-lite'])  # pure: nothing is built on the GPU
    assert all(pin.startswith(name + '==') for pin, (name, _) in
               zip(prepare.pinned_requirements(n for n, _ in prepare.CARRIED_DISTRIBUTIONS),
                   prepare.CARRIED_DISTRIBUTIONS))
    assert '--carried .gpu_carry' in prepare.device_command('.gpu_carry')


# ---------------------------------------------------------------- phases, OOM handling, report
def test_phase_runner_statuses_and_budget(tmp_path):
    now = [0.0]
    seen = []
    runner = PhaseRunner(100, on_result=lambda results: seen.append(len(results)), log=lambda msg: None,
                         clock=lambda: now[0])

    def slow(timeout):
        now[0] += 70
        return dict(value=1, note='fine')

    def skipped(timeout):
        raise PhaseSkipped('not here')

    def oom(timeout):
        raise RuntimeError('CUDA out of memory. Tried to allocate 2.00 GiB')

    assert runner.run('a', 'A', slow).status == 'ok'
    assert runner.results[0].metrics == dict(value=1) and runner.results[0].note == 'fine'
    assert runner.results[0].seconds == 70
    assert runner.run('b', 'B', skipped).status == 'skipped'
    assert runner.run('c', 'C', oom).status == 'oom'
    assert runner.run('d', 'D', lambda t: 1 / 0).status == 'failed'
    late = runner.run('e', 'E', slow, min_seconds=40)  # 30 s left
    assert late.status == 'skipped' and 'out of time' in late.note and now[0] == 70
    assert seen == [1, 2, 3, 4, 5]


def test_dry_run_has_no_shared_budget():
    """The dry run proves the path, not a speed: a slow (loaded) machine must not skip or time out its phases."""
    dry = plan.dry_run_plan()
    assert dry.budget is None and dry.timeout('torchrun_nccl_syncbn', 300) == 900
    assert plan.gpu_plan().budget == 540 and plan.gpu_plan().timeout('ops', 120) == 120
    now = [0.0]
    runner = PhaseRunner(dry.budget, log=lambda msg: None, clock=lambda: now[0])
    for name in 'abc':
        now[0] += 10_000
        assert runner.run(name, name.upper(), lambda t: dict(t=t), min_seconds=100, max_seconds=300).status == 'ok'
    assert [r.metrics['t'] for r in runner.results] == [300] * 3


def test_run_command_classifies_exit_timeout_and_oom():
    with pytest.raises(PhaseFailed) as e:
        phases.run_command([sys.executable, '-c', 'import time; time.sleep(5)'], timeout=0.5)
    assert e.value.status == 'timeout' and 'did not finish in' in str(e.value)
    with pytest.raises(PhaseFailed) as e:
        phases.run_command([sys.executable, '-c', 'import sys; sys.exit("torch.OutOfMemoryError: CUDA out of '
                            'memory. Tried to allocate 20.00 GiB")'], timeout=30)
    assert e.value.status == 'oom'
    with pytest.raises(PhaseFailed) as e:
        phases.run_command([sys.executable, '-c', 'raise SystemExit(3)'], timeout=30)
    assert e.value.status == 'failed' and 'exit 3' in str(e.value)


def test_child_reports_out_of_memory_as_such(monkeypatch):
    def too_big(**kwargs):
        raise torch.OutOfMemoryError('CUDA out of memory. Tried to allocate 40.00 GiB')

    monkeypatch.setattr(child, '_measures', lambda: {'train': too_big, 'ok': lambda x: dict(x=x)})
    out = child.run(dict(kind='train', config='c'))
    assert out['status'] == 'oom' and 'Tried to allocate 40.00 GiB' in out['error']
    assert child.run(dict(kind='ok', x=2)) == dict(status='ok', metrics=dict(kind='ok', x=2))
    assert child.run(dict(kind='ok', y=2))['status'] == 'failed'


def _train_result(arch, precision, s, mem):
    return PhaseResult(f'train_{arch}_{precision}', f'train {arch}', 'ok', 10.0, dict(
        kind='train', arch=arch, precision=precision, with_cp=arch == 'vit-l', batch_size=2, s_per_iter=s,
        img_per_s=2 / s, max_allocated_gib=mem, losses_finite=True))


def test_report_files_and_table(tmp_path):
    results = [
        PhaseResult('device', 'device', 'ok', 3.0, dict(kind='device', device_name='NVIDIA H100 80GB HBM3',
                                                        torch='2.11.0+cu130', cuda='13.0', cudnn='91000',
                                                        matmul_dtype='bf16', matmul_tflops=750.0,
                                                        matmul_size=8192)),
        _train_result('vit-b', 'fp16', 0.25, 14.5),
        _train_result('vit-l', 'fp16', 0.5, 30.0),
        PhaseResult('train_vit-l_no-cp', 'train ViT-L no cp', 'oom', 20.0, error='exit 1\nOutOfMemoryError: CUDA'),
        PhaseResult('inference', 'inference', 'ok', 5.0, dict(kind='infer', arch='vit-b', precision='fp16',
                                                              batch_size=1, s_per_img=0.05, max_allocated_gib=2.0)),
        PhaseResult('backbone_layouts', 'layouts', 'ok', 9.0, dict(kind='backbone', arch='base', img_size=1024, rows=[
            dict(variant='ours-hybrid', status='ok', amp='fp16', s_per_img=0.1, gflop_per_img=1500.0,
                 flops_per_s=1.5e14, max_allocated_gib=6.0),
            dict(variant='ours-global', status='oom', max_allocated_gib=79.0)])),
        PhaseResult('sdpa', 'sdpa', 'ok', 4.0, dict(kind='sdpa', backends=['default', 'math'], blocks=[
            dict(block='window', q_shape=[25, 12, 196, 64], default_backend='memory-efficient',
                 ms={'default': 1.0}, errors={'math': 'No available kernel'})])),
        PhaseResult('torchrun', 'torchrun', 'skipped', 0.0, note='out of time'),
    ]
    markdown = report.write_report(tmp_path, dict(mode='carried', created='now'), results)
    data = json.loads((tmp_path / 'report.json').read_text())
    assert [p['status'] for p in data['phases']] == ['ok', 'ok', 'ok', 'oom', 'ok', 'ok', 'ok', 'skipped']
    assert data['anchors']['vit-b']['train_s_per_iter'] == 0.314 and not list(tmp_path.glob('*.tmp'))
    assert (tmp_path / 'report.md').read_text() == markdown
    assert 'NVIDIA H100 80GB HBM3' in markdown and '750.0 TFLOP/s' in markdown
    assert '| vit-b train | fp16 | False | 2 | 0.250 | 8.00 | 14.50 | finite | 0.314 | 10.9 |' in markdown
    assert '| vit-l train | fp16 | True | 2 | 0.500 | 4.00 | 30.00 | finite | 0.603 | 20.9 |' in markdown
    assert '| ours-hybrid (fp16) | 0.100 | 6.00 | 1500 | 150.0 TFLOP/s | 20% |' in markdown
    assert '| ours-global | oom | 79.00 |' in markdown
    assert '| train ViT-L no cp | oom | 20.0 | exit 1 ... OutOfMemoryError: CUDA |' in markdown
    assert 'window (25, 12, 196, 64) | memory-efficient | 1.00 | No available kernel |' in markdown


# ---------------------------------------------------------------- the dry run (CI) and the GPU-only checks
def _dry_run(tmp_path, skip=()):
    """Run tools/gpu_check.py --dry-run with a carried folder of one wheel; returns the report's phases by name
    and the printed output."""
    carry = tmp_path / 'carry'
    make_wheel(carry / 'wheels', 'gpucheckdemo')
    prepare.write_manifest(carry, ['gpucheckdemo==0.1'])
    work = tmp_path / 'report'
    cmd = [sys.executable, str(REPO / 'tools' / 'gpu_check.py'), '--dry-run', '--carried', str(carry),
           '--work-dir', str(work), '--scratch', str(tmp_path / 'scratch')]
    if skip:
        cmd += ['--skip', *skip]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    data = json.loads((work / 'report.json').read_text())
    assert data['mode'] == 'dry-run'
    return {p['name']: p for p in data['phases']}, proc.stdout


def test_gpu_check_dry_run(tmp_path):
    """Every phase kind on the CPU: set-up from a carried folder (pip resolution for cp312), device, ops, a
    training and an inference step, torchrun with the probe hook, SDPA backends, backbone
    layouts. bf16, frozen and ViT-L repeat the training phase's code path with other arguments and are left out here
    (test_gpu_check_dry_run_every_phase, marked slow, runs them)."""
    repeats = ('train_vit-b_bf16', 'train_vit-b_frozen_bf16', 'train_vit-l_cp', 'train_vit-l_no-cp')
    by_name, stdout = _dry_run(tmp_path, skip=repeats)
    assert {n for n, p in by_name.items() if p['status'] == 'skipped'} == set(repeats)
    assert all(p['status'] == 'ok' for n, p in by_name.items() if n not in repeats), by_name
    assert 'mmcv_build' not in by_name  # nothing is compiled: mmcv-lite + torchvision's kernels
    from mmvitdet.ops import mmcv_ops_backend
    assert by_name['ops']['metrics']['mmcv_ext'].startswith(mmcv_ops_backend().split(' ')[0])
    train = by_name['train_vit-b_fp16']
    assert train['metrics']['losses_finite'] and train['metrics']['precision'] == 'fp32'
    assert 'ran fp32' in train['note']
    assert by_name['inference_vit-b']['metrics']['padded_hw'] == [64, 64]  # the paper's padding, scaled
    dist = by_name['torchrun_nccl_syncbn']['metrics']
    assert dist['backend'] == 'gloo' and dist['world_size'] == 1 and dist['iters'] == 2 and dist['losses_finite']
    blocks = by_name['sdpa_backends']['metrics']['blocks']
    assert sorted(b['block'] for b in blocks) == ['global', 'window']
    assert [r['status'] for r in by_name['backbone_layouts']['metrics']['rows']] == ['ok'] * 3
    assert '| phase | status | s | result |' in stdout and '0.314' in stdout


@pytest.mark.slow
def test_gpu_check_dry_run_every_phase(tmp_path):
    by_name, _ = _dry_run(tmp_path)
    assert all(p['status'] == 'ok' for p in by_name.values()), by_name
    for name in ('train_vit-b_bf16', 'train_vit-l_cp', 'train_vit-l_no-cp'):
        assert by_name[name]['metrics']['losses_finite'] and 'ran fp32' in by_name[name]['note']
    assert by_name['train_vit-l_cp']['metrics']['with_cp'] and not by_name['train_vit-l_no-cp']['metrics']['with_cp']
    frozen = by_name['train_vit-b_frozen_bf16']['metrics']  # the frozen protocol's step on the same path
    assert frozen['arch'] == 'vit-b frozen' and frozen['losses_finite']
    vs_full = frozen['vs_full']  # measured after the full bf16 step
    assert vs_full['time'] > 0 and vs_full['memory'] > 0
    assert "x the full step's time" in by_name['train_vit-b_frozen_bf16']['note']


@pytest.mark.gpu
@needs_cuda
def test_mmcv_ops_match_torchvision_on_cuda():
    from mmvitdet.gpu_check import ops_check
    out = ops_check.check('cuda')
    assert out['roi_align_max_err'] < 1e-4


@pytest.mark.gpu
@needs_cuda
def test_sdpa_backend_identified_on_cuda():
    from mmvitdet.gpu_check import attention_backends
    out = attention_backends.measure('base', 224, 'cuda', iters=2)
    assert all(b['default_backend'] != 'unknown' for b in out['blocks'])


@pytest.mark.gpu
@needs_cuda
def test_gpu_check_on_cuda_in_the_installed_environment(tmp_path):
    """On a CUDA machine set up with tools/setup.sh: the device, ops and one training phase at full size."""
    work = tmp_path / 'report'
    proc = subprocess.run([sys.executable, str(REPO / 'tools' / 'gpu_check.py'), '--work-dir', str(work),
                           '--scratch', str(tmp_path / 'scratch'), '--only', 'device', 'ops', 'train_vit-b_fp16'],
                          capture_output=True, text=True, cwd=REPO)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    data = json.loads((work / 'report.json').read_text())
    by_name = {p['name']: p for p in data['phases']}
    assert data['mode'] == 'installed' and by_name['train_vit-b_fp16']['metrics']['precision'] == 'fp16'
    assert by_name['train_vit-b_fp16']['metrics']['losses_finite']
