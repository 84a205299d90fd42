"""The quickstart config end to end: train, evaluate with CocoMetric, interrupt and resume.

Runs the real quickstart Mask R-CNN (mmcv RoIAlign/nms, mmdet heads, CocoMetric) on a tiny
generated shapes dataset: 8 train and 4 val images, batch 4, so an epoch is 2 iterations.
"""
import json
import math
from pathlib import Path

import pytest
import torch
from mmengine.hooks import Hook
from mmengine.runner import Runner

from mmvitdet.engine.launch_config import load_launch_config

REPO = Path(__file__).resolve().parents[1]
CONFIG = REPO / 'configs/quickstart/mask-rcnn_vit-t-random_fpn_lsj-10e_shapes.py'


class _InterruptAtEpoch(Hook):
    """Stops training (as Ctrl-C would) when epoch ``epoch`` begins."""

    def __init__(self, epoch: int):
        self.epoch = epoch

    def before_train_epoch(self, runner) -> None:
        if runner.epoch == self.epoch:
            raise KeyboardInterrupt(f'test interrupt at epoch {self.epoch}')


@pytest.fixture(scope='module')
def data_root(tmp_path_factory):
    return str(tmp_path_factory.mktemp('shapes'))


def _cfg(data_root: str, work_dir: Path, max_epochs: int):
    shapes = dict(num_train=8, num_val=4, img_size=192, seed=0,
                  classes=['circle', 'square', 'triangle'])
    options = {
        'train_dataloader.num_workers': 0,
        'train_dataloader.persistent_workers': False,
        'val_dataloader.num_workers': 0,
        'val_dataloader.persistent_workers': False,
        'train_cfg.max_epochs': max_epochs,
        'train_cfg.val_interval': max_epochs,
        'param_scheduler.1.end': max_epochs,
        'param_scheduler.1.T_max': max_epochs,
        'default_hooks.checkpoint.interval': 1,
        'default_hooks.logger.interval': 1,
        'randomness': dict(seed=0),
    }
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        options[f'{loader}.dataset.data_root'] = data_root + '/'
        options[f'{loader}.dataset.generate'] = shapes
    options['val_evaluator.ann_file'] = data_root + '/annotations/instances_val.json'
    options['test_evaluator.ann_file'] = data_root + '/annotations/instances_val.json'
    cfg = load_launch_config(str(CONFIG), options, str(work_dir), 'none')
    # mmengine keeps visualizers by name: a second Runner in this process would
    # otherwise write its scalars into the first one's log folder.
    cfg.visualizer.name = f'visualizer_{id(cfg)}'
    return cfg


def _scalars(work_dir: Path):
    files = sorted(work_dir.glob('*/vis_data/scalars.json'))
    assert files, f'no scalars.json under {work_dir}'
    with open(files[-1]) as f:
        return [json.loads(line) for line in f]


def test_one_iteration_and_coco_evaluation(data_root, tmp_path):
    cfg = _cfg(data_root, tmp_path, max_epochs=1)
    cfg.train_cfg = dict(type='IterBasedTrainLoop', max_iters=1, val_interval=1)
    cfg.param_scheduler = [dict(type='ConstantLR', factor=1.0, by_epoch=False)]
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook', interval=1, by_epoch=False)
    runner = Runner.from_cfg(cfg)
    runner.train()
    logs = _scalars(tmp_path)
    train = [r for r in logs if 'loss' in r]
    assert len(train) == 1
    for key in ('loss_rpn_cls', 'loss_rpn_bbox', 'loss_cls', 'loss_bbox', 'loss_mask'):
        assert math.isfinite(train[0][key]), (key, train[0])
    metrics = runner.val_loop.run()
    for key in ('coco/bbox_mAP', 'coco/bbox_mAP_50', 'coco/segm_mAP'):
        assert key in metrics
        # -1 is pycocotools' "no ground truth" marker; the val split has ground truth
        assert 0.0 <= metrics[key] <= 1.0, (key, metrics[key])


def test_interrupted_run_resumes_from_saved_epoch(data_root, tmp_path):
    runner = Runner.from_cfg(_cfg(data_root, tmp_path, max_epochs=2))
    runner.register_hook(_InterruptAtEpoch(1))
    with pytest.raises(KeyboardInterrupt):
        runner.train()
    assert (tmp_path / 'epoch_1.pth').is_file()
    assert not (tmp_path / 'epoch_2.pth').exists()
    # torch >= 2.6 loads with weights_only=True: mmvitdet allow-lists mmengine's types
    saved = torch.load(tmp_path / 'epoch_1.pth', map_location='cpu')
    assert saved['meta']['epoch'] == 1 and saved['meta']['iter'] == 2

    second = _cfg(data_root, tmp_path, max_epochs=2)
    second.resume = True
    resumed = Runner.from_cfg(second)
    resumed.train()
    assert resumed.iter == 4 and resumed.epoch == 2
    final = torch.load(tmp_path / 'epoch_2.pth', map_location='cpu')
    assert final['meta']['iter'] == 4
    # the optimizer state carried over: AdamW's step count continued from 2 to 4
    steps = {int(s['step']) for s in final['optimizer']['state'].values()}
    assert steps == {4}
    # the resumed run logged only iterations 3 and 4
    iters = [r['iter'] for r in _scalars(tmp_path) if 'loss' in r]
    assert iters[-2:] == [3, 4]
