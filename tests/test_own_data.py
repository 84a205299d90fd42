"""An own COCO-format set through the generic path (own_data -> CheckedCocoDataset): classes and
num_classes read from the annotation file, a 2-iteration training with CocoMetric evaluation,
DetInferencer on the work dir's config; bad own_data inputs."""
import importlib.util
import json
import shutil
from pathlib import Path

import pytest
import torch
from mmengine.config import Config

from mmvitdet.datasets import AnnotationFormatError, DataNotFoundError
from mmvitdet.datasets.own_data import apply_own_data, read_class_names

REPO = Path(__file__).resolve().parents[1]
QUICKSTART = REPO / 'configs/quickstart/mask-rcnn_vit-t-random_fpn_lsj-10e_shapes.py'
OWN_BASE = REPO / 'configs/_base_/datasets/own-data_coco-format.py'
CLASSES = ['circle', 'star']  # the quickstart model has 3 classes: num_classes must follow the file


def _tool(name):
    spec = importlib.util.spec_from_file_location(f'tool_{name}', REPO / 'tools' / f'{name}.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope='module')
def own_set(tmp_path_factory):
    """A COCO-format set written by tools/generate_shapes.py; the layout the own-data base expects."""
    root = tmp_path_factory.mktemp('own') / 'mine'
    assert _tool('generate_shapes').main([str(root), '--num-train', '8', '--num-val', '4',
                                          '--classes', *CLASSES]) == 0
    return root


def _config(tmp_path, monkeypatch, root):
    """The quickstart model and recipe on the own set, as a user's child config would combine them."""
    config = tmp_path / 'mask-rcnn_vit-t-random_fpn_own.py'
    config.write_text(f"_base_ = ['{QUICKSTART}', '{OWN_BASE}']\n")
    monkeypatch.setenv('MMVITDET_DATA_ROOT', f'{root}/')
    return config


@pytest.mark.slow  # 1 min of CPU (a 2-iteration training, CocoMetric, DetInferencer); run with -m slow
def test_own_data_trains_evaluates_and_infers(own_set, tmp_path, monkeypatch, capsys):
    config = _config(tmp_path, monkeypatch, own_set)
    work_dir = tmp_path / 'work'
    loaders = [f'{loader}.{key}' for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader')
               for key in ('num_workers=0', 'persistent_workers=False')]
    _tool('train').main([str(config), '--work-dir', str(work_dir), '--cfg-options', 'train_cfg.max_epochs=1',
                         'train_cfg.val_interval=1', 'default_hooks.checkpoint.interval=1', 'randomness.seed=0',
                         *loaders])
    classes = read_class_names(str(own_set / 'annotations/instances_train.json'))
    assert sorted(classes) == CLASSES
    log = capsys.readouterr().out  # logged while loading the config, before the Runner's log file exists
    assert f'own data: 2 classes from {own_set}/annotations/instances_train.json' in log
    assert 'num_classes=2 at model.roi_head.bbox_head, model.roi_head.mask_head' in log
    metrics = [json.loads(line) for line in next(work_dir.glob('*/vis_data/scalars.json')).read_text().splitlines()]
    evaluated = [m for m in metrics if 'coco/bbox_mAP' in m]
    assert len(evaluated) == 1 and 0.0 <= evaluated[0]['coco/segm_mAP'] <= 1.0

    checkpoint = torch.load(work_dir / 'epoch_1.pth', map_location='cpu')
    assert tuple(checkpoint['meta']['dataset_meta']['classes']) == classes
    assert checkpoint['state_dict']['roi_head.bbox_head.fc_cls.weight'].shape[0] == 3  # 2 classes + background
    saved = Config.fromfile(str(work_dir / config.name))  # the work dir's copy holds the resolved values
    assert saved.model.roi_head.bbox_head.num_classes == 2 and saved.model.rpn_head.get('num_classes', 1) == 1
    assert saved.train_dataloader.dataset.type == 'CheckedCocoDataset'

    from mmdet.apis import DetInferencer
    inferencer = DetInferencer(model=str(work_dir / config.name), weights=str(work_dir / 'epoch_1.pth'),
                               device='cpu', show_progress=False)
    result = inferencer(str(next((own_set / 'val').glob('*.png'))))
    assert all(0 <= label < 2 for label in result['predictions'][0]['labels'])


def test_val_categories_must_match_train(own_set, tmp_path, monkeypatch):
    root = tmp_path / 'mine'
    shutil.copytree(own_set, root)
    val = root / 'annotations/instances_val.json'
    data = json.loads(val.read_text())
    data['categories'][0]['name'] = 'disc'
    val.write_text(json.dumps(data))
    cfg = Config.fromfile(str(_config(tmp_path, monkeypatch, root)))
    with pytest.raises(AnnotationFormatError, match='instances_val.json.* differ from those of .*instances_train.json'):
        apply_own_data(cfg)


def test_missing_own_data_root_names_the_variable(tmp_path, monkeypatch):
    cfg = Config.fromfile(str(_config(tmp_path, monkeypatch, tmp_path / 'nowhere')))
    with pytest.raises(DataNotFoundError, match='nowhere.* does not exist: set MMVITDET_DATA_ROOT'):
        apply_own_data(cfg)


def test_class_names_need_categories(tmp_path):
    ann = tmp_path / 'a.json'
    ann.write_text(json.dumps(dict(images=[], annotations=[], categories=[])))
    with pytest.raises(AnnotationFormatError, match="a.json' has no 'categories'"):
        read_class_names(str(ann))
    ann.write_text(json.dumps(dict(categories=[dict(id=2, name='b'), dict(id=1, name='a')])))
    assert read_class_names(str(ann)) == ('a', 'b')
