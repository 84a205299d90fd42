"""mmvitdet/ops: mmcv._ext served by torchvision's kernels. Parity with pure-torch references (always) and with
mmcv's compiled ops (where a built mmcv wheel is at hand), refusal of what it cannot compute exactly, and the
finder reaching every way Python starts (fresh processes)."""
import ast
import glob
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import torch

import mmvitdet  # noqa: F401  installs the finder
from mmvitdet.ops import mmcv_ops_backend
from mmvitdet.ops import torchvision_ext
import ops_reference

REPO = Path(__file__).resolve().parents[1]
STAND_IN = mmcv_ops_backend() == 'torchvision kernels (mmvitdet)'
needs_stand_in = pytest.mark.skipif(not STAND_IN, reason='mmcv with compiled ops is installed (--mmcv-ops full)')
needs_cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason='needs a CUDA device')
FIX = "is not available without mmcv's compiled ops: bash tools/setup.sh --mmcv-ops full"


def random_rois(gen, num, batch, height, width, scale):
    """[num, 5] RoIs in image coordinates (1 / scale of the map): inside, partly and wholly outside, zero-area."""
    xy = torch.rand(num, 2, generator=gen) * torch.tensor([width, height]) / scale * 1.2 - 4 / scale
    wh = torch.rand(num, 2, generator=gen) * torch.tensor([width, height]) / scale * 0.6
    wh[: num // 8] = 0  # zero-area boxes
    idx = torch.randint(0, batch, (num, 1), generator=gen).float()
    rois = torch.cat([idx, xy, xy + wh], dim=1)
    rois[-2] = torch.tensor([batch - 1, width * 3 / scale, height * 3 / scale, width * 4 / scale, height * 4 / scale])
    rois[-1] = torch.tensor([0, -40 / scale, -30 / scale, -10 / scale, -5 / scale])  # wholly outside
    return rois


# ---------------------------------------------------------------- parity with the pure-torch references
@pytest.mark.parametrize('aligned,sampling_ratio', [(True, 0), (True, 2), (False, 0), (False, 3)])
def test_roi_align_matches_the_reference_forward_and_backward(aligned, sampling_ratio):
    from mmcv.ops import RoIAlign
    gen = torch.Generator().manual_seed(int(aligned) * 10 + sampling_ratio)
    feature = torch.randn(3, 4, 13, 17, generator=gen, dtype=torch.float64)
    rois = random_rois(gen, 24, 3, 13, 17, 0.25).double()
    layer = RoIAlign((5, 4), spatial_scale=0.25, sampling_ratio=sampling_ratio, aligned=aligned)
    ours_in = feature.clone().requires_grad_()
    ref_in = feature.clone().requires_grad_()
    ours = layer(ours_in, rois)
    ref = ops_reference.roi_align(ref_in, rois, (5, 4), 0.25, sampling_ratio, aligned)
    torch.testing.assert_close(ours, ref, rtol=1e-9, atol=1e-9)
    # a non-contiguous upstream gradient (the head's views), and the RoIs wholly outside give 0
    upstream = torch.randn(4, 5, 4, 24, generator=gen, dtype=torch.float64).permute(3, 0, 1, 2)
    assert not upstream.is_contiguous()
    ours.backward(upstream)
    ref.backward(upstream)
    torch.testing.assert_close(ours_in.grad, ref_in.grad, rtol=1e-9, atol=1e-9)
    assert ours[-1].abs().max() == 0


def test_roi_align_empty_and_float32():
    from mmcv.ops import RoIAlign, roi_align
    feature = torch.randn(2, 3, 8, 8, requires_grad=True)
    empty = RoIAlign((7, 7), 1.0, 0)(feature, torch.zeros(0, 5))
    assert empty.shape == (0, 3, 7, 7)
    empty.sum().backward()
    assert feature.grad.abs().max() == 0
    rois = torch.tensor([[1., 0.5, 1.5, 6.0, 7.5], [0., 2., 2., 2., 2.]])
    out = roi_align(feature, rois, (3, 3), 1.0, 0, 'avg', True)  # the call of BitmapMasks.crop_and_resize
    torch.testing.assert_close(out, ops_reference.roi_align(feature, rois, (3, 3), 1.0, 0, True))


@pytest.mark.parametrize('seed', [0, 1])
def test_nms_matches_the_greedy_reference(seed):
    from mmcv.ops import batched_nms, nms
    gen = torch.Generator().manual_seed(seed)
    xy = torch.rand(300, 2, generator=gen) * 100
    boxes = torch.cat([xy, xy + torch.rand(300, 2, generator=gen) * 40], dim=1)
    boxes[:10, 2:] = boxes[:10, :2]  # zero-area boxes are kept (IoU 0/0 is not > the threshold)
    scores = torch.rand(300, generator=gen)
    scores[50:60] = scores[40]  # ties
    dets, keep = nms(boxes, scores, 0.6)
    assert keep.tolist() == ops_reference.nms(boxes, scores, 0.6).tolist()
    torch.testing.assert_close(dets[:, 4], scores[keep])
    classes = torch.randint(0, 3, (300, ), generator=gen)
    _, batched = batched_nms(boxes, scores, classes, dict(type='nms', iou_threshold=0.5))
    expected = torch.cat([torch.nonzero(classes == c)[:, 0][ops_reference.nms(boxes[classes == c],
                                                                               scores[classes == c], 0.5)]
                          for c in range(3)])
    assert sorted(batched.tolist()) == sorted(expected.tolist())
    _, none_kept = nms(boxes[:0], scores[:0], 0.5)
    assert none_kept.shape == (0, ) and none_kept.dtype == torch.long


# ---------------------------------------------------------------- what the stand-in refuses
@needs_stand_in
def test_what_torchvision_cannot_compute_raises_with_the_fix():
    from mmcv.ops import RoIAlign, nms, sigmoid_focal_loss
    boxes = torch.tensor([[0., 0., 2., 2.], [0., 0., 2., 2.1]])
    with pytest.raises(RuntimeError, match=r"mmcv op nms \(offset=1.*" + FIX.replace('.', r'\.')):
        nms(boxes, torch.tensor([0.9, 0.8]), 0.5, offset=1)
    with pytest.raises(RuntimeError, match=r"mmcv op roi_align \(pool_mode='max'\) " + FIX):
        RoIAlign((2, 2), 1.0, 0, pool_mode='max')(torch.randn(1, 1, 4, 4), torch.tensor([[0., 0., 0., 3., 3.]]))
    with pytest.raises(RuntimeError, match='mmcv op sigmoid_focal_loss_forward ' + FIX):
        sigmoid_focal_loss(torch.randn(4, 3), torch.tensor([0, 1, 2, 0]), 2.0, 0.25)


def test_every_name_mmcv_asks_of_its_extension_exists():
    """mmcv/ops/*.py assert each name at import (ext_loader.load_ext): the stand-in must hold all of them."""
    import mmcv
    asked = set()
    for path in glob.glob(os.path.join(os.path.dirname(mmcv.__file__), '**', '*.py'), recursive=True):
        for node in ast.walk(ast.parse(Path(path).read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, 'attr', getattr(node.func, 'id', '')) == 'load_ext':
                asked.update(e.value for e in node.args[1].elts)
    assert len(asked) == 112 and asked == set(torchvision_ext.MMCV_EXT_FUNCTIONS)


# ---------------------------------------------------------------- against mmcv's compiled ops
def _compiled_mmcv_wheel():
    candidates = [os.environ.get('MMVITDET_MMCV_WHEEL', '')] + glob.glob(
        str(REPO.parent / 'shared' / 'wheels' / 'mmcv-2.1.0-cp311-*.whl'))
    return next((c for c in candidates if c and os.path.isfile(c)), None)


@pytest.fixture(scope='module')
def compiled_mmcv_path(tmp_path_factory):
    """A folder holding mmcv 2.1.0 with its compiled ops (installed from a prebuilt wheel), to put on PYTHONPATH."""
    if not STAND_IN:
        return None  # the environment itself has compiled mmcv
    wheel = _compiled_mmcv_wheel()
    if wheel is None or sys.version_info[:2] != (3, 11):
        pytest.skip('no prebuilt mmcv 2.1.0 wheel for this Python (../shared/wheels or $MMVITDET_MMCV_WHEEL)')
    target = tmp_path_factory.mktemp('mmcv_full')
    subprocess.run([sys.executable, '-m', 'pip', 'install', '--no-deps', '--no-index', '--quiet',
                    '--disable-pip-version-check', '--target', str(target), wheel], check=True)
    return str(target)


COMPILED_SCRIPT = textwrap.dedent('''
    import sys, torch
    from mmcv.ops import RoIAlign, nms
    from mmvitdet.ops import mmcv_ops_backend
    inputs = torch.load(sys.argv[1])
    feature = inputs['feature'].clone().requires_grad_()
    out = RoIAlign((7, 7), 0.25, 0, aligned=True)(feature, inputs['rois'])
    out.backward(inputs['upstream'])
    keep = nms(inputs['boxes'], inputs['scores'], 0.5)[1]
    torch.save(dict(backend=mmcv_ops_backend(), out=out.detach(), grad=feature.grad, keep=keep), sys.argv[2])
''')


def test_stand_in_equals_mmcv_compiled_ops_bit_for_bit(compiled_mmcv_path, tmp_path):
    from mmcv.ops import RoIAlign, nms
    if not STAND_IN:
        pytest.skip('mmcv with compiled ops is installed: the stand-in is not in use')
    gen = torch.Generator().manual_seed(3)
    xy = torch.rand(200, 2, generator=gen) * 200
    inputs = dict(feature=torch.randn(2, 16, 50, 60, generator=gen), rois=random_rois(gen, 100, 2, 50, 60, 0.25),
                  upstream=torch.randn(100, 16, 7, 7, generator=gen),
                  boxes=torch.cat([xy, xy + torch.rand(200, 2, generator=gen) * 50], dim=1),
                  scores=torch.rand(200, generator=gen))
    torch.save(inputs, tmp_path / 'in.pt')
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([compiled_mmcv_path, str(REPO)]))
    proc = subprocess.run([sys.executable, '-c', COMPILED_SCRIPT, str(tmp_path / 'in.pt'), str(tmp_path / 'out.pt')],
                          capture_output=True, text=True, env=env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    compiled = torch.load(tmp_path / 'out.pt')
    assert compiled['backend'] == 'compiled mmcv'  # a compiled mmcv._ext wins over the finder
    feature = inputs['feature'].clone().requires_grad_()
    out = RoIAlign((7, 7), 0.25, 0, aligned=True)(feature, inputs['rois'])
    out.backward(inputs['upstream'])
    assert torch.equal(out, compiled['out']) and torch.equal(feature.grad, compiled['grad'])
    assert torch.equal(nms(inputs['boxes'], inputs['scores'], 0.5)[1], compiled['keep'])


# ---------------------------------------------------------------- every way Python starts
def run_fresh(code, *args, env=None, timeout=300):
    """``code`` in a fresh interpreter of this environment that has not imported mmvitdet (the .pth must act)."""
    proc = subprocess.run([sys.executable, '-c', textwrap.dedent(code), *args], capture_output=True, text=True,
                          cwd=REPO, env=env or os.environ, timeout=timeout)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    return proc.stdout


@needs_stand_in
def test_a_fresh_interpreter_finds_the_stand_in_without_importing_mmvitdet():
    out = run_fresh('''
        import sys
        from mmcv.ops import RoIAlign, nms  # noqa: F401
        import mmcv._ext
        assert mmcv._ext.MMVITDET_STAND_IN and 'mmvitdet' not in sys.modules and 'torch' in sys.modules
        print(mmcv._ext.__file__)
    ''')
    assert out.strip().endswith(os.path.join('mmvitdet', 'ops', 'torchvision_ext.py'))


@needs_stand_in
def test_the_pth_line_imports_nothing_heavy():
    out = run_fresh('import sys; print(sorted(m for m in ("torch", "mmcv", "mmvitdet", "numpy") if m in sys.modules))')
    assert out.strip() == '[]'


@needs_stand_in
def test_dataloader_workers_fork_and_spawn_and_torchrun(tmp_path):
    script = tmp_path / 'workers.py'
    script.write_text(textwrap.dedent('''
        import sys
        import torch
        from torch.utils.data import DataLoader, Dataset

        class Boxes(Dataset):
            def __len__(self):
                return 2

            def __getitem__(self, i):
                from mmcv.ops import nms  # imported first inside the worker
                import mmcv._ext
                boxes = torch.tensor([[0., 0., 2., 2.], [0., 0., 2., 2.1]])
                return nms(boxes, torch.tensor([0.9, 0.8]), 0.5)[1].numel() + 10 * mmcv._ext.MMVITDET_STAND_IN

        if __name__ == '__main__':
            for context in sys.argv[1:]:
                got = [int(v) for v in DataLoader(Boxes(), num_workers=1, multiprocessing_context=context)]
                assert got == [11, 11], (context, got)
                print(context, 'ok')
    '''))
    proc = subprocess.run([sys.executable, str(script), 'fork', 'spawn'], capture_output=True, text=True, cwd=REPO,
                          timeout=300)
    assert proc.returncode == 0 and proc.stdout.split() == ['fork', 'ok', 'spawn', 'ok'], proc.stderr[-3000:]
    proc = subprocess.run([sys.executable, '-m', 'torch.distributed.run', '--nproc_per_node', '2', '--master_port',
                           '0', '--rdzv_backend', 'c10d', '--rdzv_endpoint', '127.0.0.1:0', str(script), 'fork'],
                          capture_output=True, text=True, cwd=REPO, timeout=300)
    assert proc.returncode == 0 and proc.stdout.split().count('ok') == 2, proc.stdout + proc.stderr[-3000:]


@needs_stand_in
def test_a_user_script_importing_mmdet_apis_first_runs_det_inferencer(tmp_path):
    """The order a user writes: mmdet.apis first, then a DetInferencer on a project config (random weights)."""
    out = run_fresh('''
        import sys
        from mmdet.apis import DetInferencer  # imports mmcv.ops before mmvitdet is imported
        import numpy as np
        import mmcv._ext
        assert mmcv._ext.MMVITDET_STAND_IN
        inferencer = DetInferencer(sys.argv[1], weights=None, device='cpu', show_progress=False)
        image = (np.random.default_rng(0).random((96, 128, 3)) * 255).astype(np.uint8)
        result = inferencer(image, return_datasamples=True)['predictions'][0]
        print('masks', tuple(result.pred_instances.masks.shape[1:]))
    ''', str(REPO / 'configs' / 'quickstart' / 'mask-rcnn_vit-t-random_fpn_lsj-10e_shapes.py'))
    assert 'masks (96, 128)' in out


@needs_stand_in
def test_mmdet_own_tool_builds_a_project_model(tmp_path):
    """mmdet's get_flops.py (shipped in the mmdet wheel under .mim/tools) on a project config (run in a temporary
    folder: it builds the dataset, which the quickstart generates into data/shapes/ of the working directory)."""
    import mmdet
    tool = Path(mmdet.__file__).parent / '.mim' / 'tools' / 'analysis_tools' / 'get_flops.py'
    if not tool.is_file():
        pytest.skip(f'{tool} is not in this mmdet installation')
    config = REPO / 'configs' / 'quickstart' / 'mask-rcnn_vit-t-random_fpn_lsj-10e_shapes.py'
    proc = subprocess.run([sys.executable, str(tool), str(config), '--num-images', '1'],
                          capture_output=True, text=True, cwd=tmp_path, timeout=600,
                          env=dict(os.environ, PYTHONPATH=str(REPO)))
    assert proc.returncode == 0 and 'Flops' in proc.stdout, proc.stdout[-2000:] + proc.stderr[-3000:]


# ---------------------------------------------------------------- CUDA: autocast dtypes
@pytest.mark.gpu
@needs_cuda
@pytest.mark.parametrize('dtype', [torch.float16, torch.bfloat16])
def test_roi_align_and_nms_under_autocast_on_cuda(dtype):
    from mmcv.ops import RoIAlign, nms
    gen = torch.Generator().manual_seed(0)
    feature = torch.randn(2, 8, 32, 40, generator=gen).cuda().requires_grad_()
    rois = random_rois(gen, 40, 2, 32, 40, 0.25).cuda()
    with torch.autocast('cuda', dtype=dtype):
        out = RoIAlign((7, 7), 0.25, 0)(feature.to(dtype), rois.to(dtype))
    out.float().sum().backward()
    ref = ops_reference.roi_align(feature.detach().double().cpu(), rois.double().cpu(), (7, 7), 0.25, 0, True)
    torch.testing.assert_close(out.double().cpu(), ref, rtol=2e-2, atol=2e-2)
    assert feature.grad is not None and torch.isfinite(feature.grad).all()
    xy = torch.rand(100, 2, generator=gen) * 100
    boxes = torch.cat([xy, xy + 30], dim=1).cuda()
    scores = torch.rand(100, generator=gen).cuda()
    with torch.autocast('cuda', dtype=dtype):
        keep = nms(boxes, scores, 0.5)[1]
    assert keep.device.type == 'cuda'
    assert keep.cpu().tolist() == ops_reference.nms(boxes.cpu(), scores.cpu(), 0.5).tolist()
