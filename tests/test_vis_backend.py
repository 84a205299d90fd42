"""tools/train.py --vis-backend: experiment tracking switched on from the command line (mmengine's --cfg-options
cannot give a list of dicts)."""
from pathlib import Path

import pytest

from mmvitdet.engine.vis_backends import vis_backends_for

from test_own_data import _tool  # tools/*.py loaded as modules

REPO = Path(__file__).resolve().parents[1]


def test_backends_keep_the_local_one():
    assert vis_backends_for(['tensorboard', 'wandb']) == [
        dict(type='LocalVisBackend'), dict(type='TensorboardVisBackend'), dict(type='WandbVisBackend')]
    assert vis_backends_for(['local']) == [dict(type='LocalVisBackend')]


def test_train_sets_the_visualizer_backends(monkeypatch, tmp_path):
    train = _tool('train')
    args = train.parse_args(['configs/quickstart/mask-rcnn_vit-t-random_fpn_lsj-10e_shapes.py',
                             '--vis-backend', 'tensorboard'])
    assert args.vis_backend == ['tensorboard']
    seen = {}

    class Stop(Exception):
        pass

    def fake_init(cfg):  # stop right before the Runner is built: the config is what matters here
        seen['backends'] = cfg.visualizer.vis_backends
        raise Stop

    monkeypatch.setattr('mmvitdet.engine.launch_config.init_cpu_distributed', fake_init)
    with pytest.raises(Stop):
        train.main([str(REPO / 'configs/quickstart/mask-rcnn_vit-t-random_fpn_lsj-10e_shapes.py'), '--work-dir',
                    str(tmp_path), '--vis-backend', 'tensorboard'])
    assert [b['type'] for b in seen['backends']] == ['LocalVisBackend', 'TensorboardVisBackend']
    with pytest.raises(SystemExit):
        train.parse_args(['c.py', '--vis-backend', 'nosuch'])
