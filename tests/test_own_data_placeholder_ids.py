"""An export shaped like a real Roboflow one (a-hwang/building-facade-segmentation): placeholder category 0 named
like a real class, non-contiguous ids. Classes map to category ids by id in the dataset and CocoMetric; it
trains and evaluates through tools/train.py; images one folder down are named in the launch error; a failure
inside training names the images in flight."""
import json
import shutil
from pathlib import Path

import pytest
from mmengine.config import Config

from mmvitdet.datasets import AnnotationFormatError, DataNotFoundError
from mmvitdet.datasets.own_data import apply_own_data
from mmvitdet.datasets.validation import CheckedCOCO
from mmvitdet.evaluation import CheckedCocoMetric

from test_own_data import _tool  # tools/*.py loaded as modules
from test_own_data_exports import roboflow_export

REPO = Path(__file__).resolve().parents[1]
CPU_CONFIG = REPO / 'configs/own_data/mask-rcnn_vit-t-random_fpn_lsj-10e_own.py'
CLASSES = ['facade', 'window', 'door']
SHAPES = ['circle', 'star', 'square']  # generated, then renamed to CLASSES
IDS = {1: 3, 2: 5, 3: 9}  # the export's ids of the generated classes
ONE_EPOCH = ['train_cfg.max_epochs=1', 'train_cfg.val_interval=1', 'default_hooks.checkpoint.interval=1',
             *[f'{loader}.{key}' for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader')
               for key in ('num_workers=0', 'persistent_workers=False')]]


@pytest.fixture(scope='module')
def facade_export(tmp_path_factory):
    """train/ and valid/ with _annotations.coco.json; category 0 'facade' (supercategory 'none', unused) besides
    the real class 3 'facade' (supercategory 'facade')."""
    base = tmp_path_factory.mktemp('facade')
    assert _tool('generate_shapes').main([str(base / 'coco'), '--num-train', '8', '--num-val', '4', '--img-size',
                                          '96', '--classes', *SHAPES]) == 0
    return roboflow_export(base / 'coco', base / 'export', ids=IDS, placeholder='facade',
                           names=dict(zip(SHAPES, CLASSES)))


@pytest.fixture
def export(facade_export, tmp_path, monkeypatch):
    root = tmp_path / 'export'
    shutil.copytree(facade_export, root)
    monkeypatch.setenv('MMVITDET_DATA_ROOT', f'{root}/')
    return root


def test_classes_map_by_id_in_dataset_and_metric(export):
    cfg = apply_own_data(Config.fromfile(str(CPU_CONFIG)))
    assert list(cfg.train_dataloader.dataset.metainfo.classes) == CLASSES  # ids 3, 5, 9; placeholder 0 dropped
    assert tuple(cfg.train_dataloader.dataset.category_ids) == (3, 5, 9)
    assert cfg.val_evaluator.type == 'CheckedCocoMetric' and tuple(cfg.val_evaluator.category_ids) == (3, 5, 9)

    from mmdet.registry import DATASETS
    from mmengine.registry import init_default_scope
    init_default_scope('mmdet')
    dataset = DATASETS.build(cfg.train_dataloader.dataset)
    assert dataset.cat_ids == [3, 5, 9] and dataset.cat2label == {3: 0, 5: 1, 9: 2}
    labels = {inst['bbox_label'] for i in range(len(dataset)) for inst in dataset.get_data_info(i)['instances']}
    assert labels == {0, 1, 2}

    metric = CheckedCocoMetric(ann_file=str(export / 'valid/_annotations.coco.json'), metric=['bbox'],
                               category_ids=(3, 5, 9))
    metric.dataset_meta = dict(classes=tuple(CLASSES))
    assert metric.cat_ids == [3, 5, 9]  # label i -> category_ids[i], never the placeholder 0


def test_by_name_a_shared_class_name_is_an_error_naming_both_ids(export):
    with pytest.raises(AnnotationFormatError, match=r"class names under several category ids \{'facade': \[0, 3\]\}"
                                                    '.*category_ids'):
        CheckedCOCO(str(export / 'train/_annotations.coco.json'), classes=CLASSES).get_cat_ids(cat_names=CLASSES)


def test_val_must_declare_the_train_ids(export):
    val = export / 'valid/_annotations.coco.json'
    data = json.loads(val.read_text())
    data['categories'] = [c for c in data['categories'] if c['id'] != 9]
    for ann in data['annotations']:
        ann['category_id'] = 3
    val.write_text(json.dumps(data))
    with pytest.raises(AnnotationFormatError, match=r"valid/_annotations.coco.json' differ .*9: 'door' vs "
                                                    "'not declared'"):
        apply_own_data(Config.fromfile(str(CPU_CONFIG)))


def test_trains_one_epoch_and_evaluates_as_exported(export, tmp_path, capsys):
    work_dir = tmp_path / 'work'
    _tool('train').main([str(CPU_CONFIG), '--work-dir', str(work_dir), '--cfg-options', *ONE_EPOCH])
    log = capsys.readouterr().out
    assert 'own data (roboflow layout): 3 classes' in log
    assert "dropped the declared categories ['facade (id 0)']" in log
    assert "classes are mapped by category id {3: 'facade', 5: 'window', 9: 'door'}" in log
    metrics = [json.loads(line) for line in next(work_dir.glob('*/vis_data/scalars.json')).read_text().splitlines()]
    assert any('coco/segm_mAP' in m for m in metrics)


def test_images_one_folder_down_are_named(export):
    (export / 'valid/images').mkdir()
    for png in sorted((export / 'valid').glob('*.png'))[:2]:
        png.rename(export / 'valid/images' / png.name)
    with pytest.raises(DataNotFoundError, match=r'2 of its 4 images are not in .*found in subfolders: 2 in '
                                                r'.*valid/images/.*own_data.val.ann_file=valid/_annotations.coco.json '
                                                r'own_data.val.img=valid/images/'):
        apply_own_data(Config.fromfile(str(CPU_CONFIG)))


def test_a_bad_segmentation_names_its_image(export, tmp_path, capsys):
    ann = export / 'train/_annotations.coco.json'
    data = json.loads(ann.read_text())
    data['annotations'][0]['segmentation'] = dict(size=[10, 10], counts=[0, 100])  # RLE of another size
    ann.write_text(json.dumps(data))
    image = next(i['file_name'] for i in data['images'] if i['id'] == data['annotations'][0]['image_id'])
    with pytest.raises(SystemExit) as stop:
        from mmvitdet.utils.cli_errors import run_cli
        run_cli(_tool('train').main, [str(CPU_CONFIG), '--work-dir', str(tmp_path / 'w'), '--cfg-options', *ONE_EPOCH])
    assert stop.value.code == 2
    error = capsys.readouterr().err.strip().splitlines()[-1]
    assert error.startswith('error: the data pipeline failed on image') and f'train/{image}' in error
    assert '_annotations.coco.json' in error and 'traceback in' in error


def test_a_failure_inside_the_model_names_the_batch(export, tmp_path, capsys, monkeypatch):
    from mmdet.models.roi_heads import StandardRoIHead

    def broken_mask_loss(*args, **kwargs):  # as mmdet's mask loss failed on the export before ids were mapped
        raise IndexError('index 3 is out of bounds for dimension 1 with size 3')

    monkeypatch.setattr(StandardRoIHead, 'mask_loss', broken_mask_loss)
    with pytest.raises(SystemExit) as stop:
        from mmvitdet.utils.cli_errors import run_cli
        run_cli(_tool('train').main, [str(CPU_CONFIG), '--work-dir', str(tmp_path / 'w'), '--cfg-options', *ONE_EPOCH])
    assert stop.value.code == 2
    error = capsys.readouterr().err.strip().splitlines()[-1]
    assert error.startswith('error: training on own data (') and 'train/_annotations.coco.json' in error
    assert 'at train iteration 1 on the batch of images' in error and '.png' in error
    assert 'IndexError: index 3 is out of bounds' in error
    log = next((tmp_path / 'w').glob('*/*.log')).read_text()
    assert 'Traceback' in log and 'broken_mask_loss' in log
