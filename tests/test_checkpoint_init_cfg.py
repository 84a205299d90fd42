"""ViT.init_weights converts the file named by init_cfg and logs the load report."""
import pytest
import torch
from mmengine.logging import MMLogger
from mmengine.model import BaseModule

from checkpoint_layouts import (assert_same_features, our_vit, reference_vit,
                                timm_state)
from mmdet.registry import MODELS
from mmvitdet.checkpoints import CheckpointError


@pytest.fixture
def mae_file(tmp_path):
    ref = reference_vit()
    path = str(tmp_path / 'mae_pretrain_vit_tiny.pth')
    torch.save({'model': timm_state(ref.state_dict())}, path)
    return path, ref


@pytest.fixture
def log_file(tmp_path, request):
    path = tmp_path / 'run.log'
    MMLogger.get_instance(f'ckpt-test-{request.node.name}',
                          log_file=str(path))
    return path


class _Detector(BaseModule):
    """Stands in for an mmdet detector: init_weights reaches the backbone
    through mmengine's BaseModule traversal."""

    def __init__(self, backbone):
        super().__init__()
        self.backbone = MODELS.build(backbone)


def test_init_cfg_loads_and_logs_report(mae_file, log_file):
    path, ref = mae_file
    detector = _Detector(dict(
        type='ViT', arch=dict(embed_dims=64, num_layers=4, num_heads=4),
        img_size=224, window_size=14, global_attn_indices=(1, 3),
        out_indices=(0, 1, 2, 3), use_rel_pos_bias='shared',
        init_cfg=dict(type='Pretrained', checkpoint=path,
                      rel_pos_resize='bicubic')))
    detector.init_weights()
    detector.eval()
    assert detector.backbone.is_init
    assert_same_features(ref, detector.backbone)
    log = log_file.read_text()
    assert f'Loaded ViT weights from {path} (format: timm)' in log
    assert 'rel_pos_bias_window.relative_position_bias_table [729, 4]' in log
    assert 'zero-init per the paper' in log
    assert 'cls_token [1, 1, 64]  (class token: detection has none)' in log
    assert 'pos_embed [1, 197, 64] -> [1, 196, 64]' in log


def test_init_cfg_mismatch_is_an_error_not_a_warning(mae_file):
    model = our_vit(layer_scale_init_value=0.1,
                    init_cfg=dict(type='Pretrained', checkpoint=mae_file[0]))
    with pytest.raises(CheckpointError, match='layer_scale_init_value=None'):
        model.init_weights()
    assert not model.is_init


def test_no_pretrained_keeps_random_init():
    model = our_vit()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    model.init_weights()
    for key, value in model.state_dict().items():
        assert torch.equal(value, before[key])


@pytest.mark.parametrize('init_cfg,match', [
    (dict(type='Pretrained', checkpoint='x.pth', prefix='backbone.'),
     "unknown key\\(s\\) \\['prefix'\\]"),
    (dict(type='Pretrained'), 'needs checkpoint=<file>'),
    ([dict(type='Pretrained', checkpoint='x.pth'),
      dict(type='Constant', val=0, layer='Linear')], 'Pretrained entry alone'),
])
def test_bad_init_cfg(init_cfg, match):
    with pytest.raises(CheckpointError, match=match):
        our_vit(init_cfg=init_cfg).init_weights()


def test_format_and_discard_from_init_cfg(mae_file):
    model = our_vit(use_abs_pos_embed=False, init_cfg=dict(
        type='Pretrained', checkpoint=mae_file[0], format='timm',
        discard=['pos_embed']))
    model.init_weights()
    assert model.is_init


def test_url_downloaded_once_into_torch_hub(mae_file, tmp_path, monkeypatch):
    """URLs work as with mmengine's PretrainedInit (no network: the download
    is replaced by a copy of the local file)."""
    import shutil

    calls = []

    def fake_download(url, dst, progress=True, **bounds):
        calls.append((url, dst))
        shutil.copy(mae_file[0], dst)

    monkeypatch.setenv('TORCH_HOME', str(tmp_path / 'torch_home'))
    monkeypatch.setattr('mmvitdet.utils.download.download', fake_download)  # bounded, resumable
    url = 'https://dl.fbaipublicfiles.com/mae/pretrain/mae_pretrain_vit_t.pth'
    for _ in range(2):
        model = our_vit(init_cfg=dict(type='Pretrained', checkpoint=url))
        model.init_weights()
    expected = tmp_path / 'torch_home' / 'hub' / 'checkpoints' / (
        'mae_pretrain_vit_t.pth')
    assert calls == [(url, str(expected))]
    assert_same_features(mae_file[1], model)
