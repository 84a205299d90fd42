"""Own data as exports come: a Roboflow-style export (split folders with _annotations.coco.json beside the images,
the super-category declared as category 0 with no annotations, non-contiguous ids) resolved when the config is
parsed, seen by mmdet's own tools, checked before training, trained and evaluated with no edits; the other
layouts; tiny sets; a missing checkpoint."""
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from mmengine.config import Config

from mmvitdet.datasets import AnnotationFormatError, DataNotFoundError
from mmvitdet.datasets.own_data import apply_own_data, fit_warmup
from mmvitdet.datasets.own_data_layout import detect_splits

from test_own_data import _tool  # tools/*.py loaded as modules

REPO = Path(__file__).resolve().parents[1]
CPU_CONFIG = REPO / 'configs/own_data/mask-rcnn_vit-t-random_fpn_lsj-10e_own.py'
MAE_CONFIG = REPO / 'configs/own_data/mask-rcnn_vit-b-mae_fpn_lsj-100e_own.py'
CLASSES = ['circle', 'star']
NEW_IDS = {1: 3, 2: 7}  # non-contiguous category ids, as exports renumber them


@pytest.fixture(scope='module')
def coco_set(tmp_path_factory):
    root = tmp_path_factory.mktemp('own') / 'coco'
    assert _tool('generate_shapes').main([str(root), '--num-train', '4', '--num-val', '2', '--img-size', '96',
                                          '--classes', *CLASSES]) == 0
    return root


def roboflow_export(coco_root: Path, dst: Path, ids=None, placeholder: str = 'shapes', names=None) -> Path:
    """The COCO set rewritten as Roboflow exports it: category ``ids`` renumbered (default NEW_IDS), the
    super-category ``placeholder`` declared as category 0 (no annotations), classes renamed by ``names``."""
    ids, names = ids or NEW_IDS, names or {}
    for split, folder in (('train', 'train'), ('val', 'valid')):
        shutil.copytree(coco_root / split, dst / folder)
        data = json.loads((coco_root / 'annotations' / f'instances_{split}.json').read_text())
        data['categories'] = [dict(id=0, name=placeholder, supercategory='none')] + [
            dict(id=ids[c['id']], name=names.get(c['name'], c['name']), supercategory=placeholder)
            for c in data['categories']]
        for ann in data['annotations']:
            ann['category_id'] = ids[ann['category_id']]
        (dst / folder / '_annotations.coco.json').write_text(json.dumps(data))
    return dst


@pytest.fixture
def roboflow(coco_set, tmp_path, monkeypatch):
    root = roboflow_export(coco_set, tmp_path / 'roboflow')
    monkeypatch.setenv('MMVITDET_DATA_ROOT', f'{root}/')
    return root


def test_resolved_when_the_config_is_parsed(roboflow):
    cfg = Config.fromfile(str(CPU_CONFIG))
    assert cfg.model.roi_head.bbox_head.num_classes == 2 and cfg.model.roi_head.mask_head.num_classes == 2
    dataset = cfg.train_dataloader.dataset
    assert dataset.type == 'CheckedCocoDataset' and 'generate' not in dataset
    assert (dataset.ann_file, dataset.data_prefix.img) == ('train/_annotations.coco.json', 'train/')
    assert cfg.val_dataloader.dataset.ann_file == 'valid/_annotations.coco.json'
    assert list(dataset.metainfo.classes) == ['circle', 'star']  # category 0 'shapes' dropped
    assert not {'classes', 'data_root', 'shapes'} & set(cfg)  # the quickstart's dataset variables are gone
    assert cfg.val_evaluator.ann_file == f'{roboflow}/valid/_annotations.coco.json'
    assert cfg.train_dataloader.dataset.pipeline == Config.fromfile(
        str(REPO / 'configs/quickstart/mask-rcnn_vit-t-random_fpn_lsj-10e_shapes.py')).train_pipeline


def test_mmdet_print_config_sees_the_classes(roboflow):
    import mmdet
    tool = Path(mmdet.__file__).parent / '.mim' / 'tools' / 'misc' / 'print_config.py'
    if not tool.is_file():
        pytest.skip(f'{tool} is not in this mmdet installation')
    proc = subprocess.run([sys.executable, str(tool), str(CPU_CONFIG)], capture_output=True, text=True, cwd=REPO,
                          env=dict(os.environ, PYTHONPATH=str(REPO)), timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert 'num_classes=2' in proc.stdout and 'num_classes=3' not in proc.stdout
    assert "'_annotations.coco.json'" in proc.stdout or '_annotations.coco.json' in proc.stdout


def test_launch_logs_the_dropped_category_and_trains_and_evaluates(roboflow, tmp_path, capsys):
    work_dir = tmp_path / 'work'
    loaders = [f'{loader}.{key}' for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader')
               for key in ('num_workers=0', 'persistent_workers=False')]
    _tool('train').main([str(CPU_CONFIG), '--work-dir', str(work_dir), '--cfg-options', 'train_cfg.max_epochs=1',
                         'train_cfg.val_interval=1', 'default_hooks.checkpoint.interval=1', *loaders])
    log = capsys.readouterr().out
    assert 'own data (roboflow layout): 2 classes' in log
    assert "dropped the declared categories ['shapes (id 0)']" in log
    metrics = [json.loads(line) for line in next(work_dir.glob('*/vis_data/scalars.json')).read_text().splitlines()]
    assert any('coco/segm_mAP' in m for m in metrics)
    assert (work_dir / 'epoch_1.pth').is_file()


def test_a_missing_val_image_stops_the_launch(roboflow):
    victim = sorted((roboflow / 'valid').glob('*.png'))[0]
    victim.unlink()
    cfg = Config.fromfile(str(CPU_CONFIG))
    with pytest.raises(DataNotFoundError, match=r'_annotations.coco.json.*1 of its 2 images are not in .*'
                                                + victim.name):
        apply_own_data(cfg)


def test_broken_image_and_dangling_annotation(roboflow):
    (sorted((roboflow / 'train').glob('*.png'))[0]).write_bytes(b'not a png')
    ann = roboflow / 'train' / '_annotations.coco.json'
    data = json.loads(ann.read_text())
    data['annotations'][0]['image_id'] = 999
    ann.write_text(json.dumps(data))
    with pytest.raises(AnnotationFormatError, match='1 images do not open as images.*1 annotations refer to an '
                                                    'image id'):
        apply_own_data(Config.fromfile(str(CPU_CONFIG)))


def test_layouts(coco_set, tmp_path):
    assert detect_splits(str(coco_set))['layout'] == 'coco'
    assert detect_splits(str(roboflow_export(coco_set, tmp_path / 'rf')))['layout'] == 'roboflow'
    cvat = tmp_path / 'cvat'
    (cvat / 'annotations').mkdir(parents=True)
    for split, subset in (('train', 'train'), ('val', 'validation')):
        shutil.copytree(coco_set / split, cvat / 'images' / subset)
        shutil.copy(coco_set / 'annotations' / f'instances_{split}.json',
                    cvat / 'annotations' / f'instances_{subset}.json')
    found = detect_splits(str(cvat))
    assert found['layout'] == 'cvat' and found['val'] == ('annotations/instances_validation.json',
                                                          'images/validation/')
    studio = tmp_path / 'label-studio'
    shutil.copytree(coco_set / 'train', studio / 'images')
    shutil.copy(coco_set / 'annotations' / 'instances_train.json', studio / 'result.json')
    with pytest.raises(DataNotFoundError, match='one-split export.*own_data.val.ann_file'):
        detect_splits(str(studio))
    with pytest.raises(DataNotFoundError, match='no train and validation split.*own_data.train.ann_file'):
        detect_splits(str(tmp_path))


def test_named_splits_override_the_layout(coco_set, tmp_path, monkeypatch):
    monkeypatch.setenv('MMVITDET_DATA_ROOT', f'{coco_set}/')
    cfg = Config.fromfile(str(CPU_CONFIG))
    cfg.merge_from_dict({'own_data.val.ann_file': 'annotations/instances_train.json', 'own_data.val.img': 'train/'})
    apply_own_data(cfg)
    assert cfg.val_dataloader.dataset.ann_file == 'annotations/instances_train.json'
    cfg.merge_from_dict({'own_data.train': dict(ann_file='annotations/instances_train.json')})
    with pytest.raises(AnnotationFormatError, match='own_data.train is .*give both ann_file and img'):
        apply_own_data(cfg)


def test_tiny_sets_keep_a_warmup(coco_set, monkeypatch):
    monkeypatch.setenv('MMVITDET_DATA_ROOT', f'{coco_set}/')
    cfg = Config.fromfile(str(MAE_CONFIG))  # the COCO schedule: 0.25-epoch warmup, batch 2
    changed = fit_warmup(cfg, num_images=4)  # 2 iterations per epoch: 0.25 epoch rounds up to 1 iteration
    warmup = cfg.param_scheduler[0]
    assert (warmup.by_epoch, warmup.begin, warmup.end) == (False, 0, 1) and '0.25 epoch = 1 iteration' in changed[0]
    with pytest.raises(AnnotationFormatError, match='has 1 images, fewer than one batch of 2'):
        fit_warmup(Config.fromfile(str(MAE_CONFIG)), num_images=1)


@pytest.mark.slow  # a whole sweep / launch in subprocesses (about 40 s); run with -m slow
def test_a_missing_checkpoint_is_one_line(roboflow, tmp_path):
    proc = subprocess.run(
        [sys.executable, str(REPO / 'tools' / 'train.py'), str(CPU_CONFIG), '--work-dir', str(tmp_path / 'w'),
         '--cfg-options', 'model.backbone.init_cfg.type=Pretrained',
         f'model.backbone.init_cfg.checkpoint={tmp_path}/mae_pretrain_vit_base.pth', 'train_cfg.max_epochs=1'],
        capture_output=True, text=True, cwd=REPO, timeout=600, env=dict(os.environ))
    assert proc.returncode == 2, proc.stderr[-3000:]
    error = [line for line in proc.stderr.splitlines() if line.startswith('error:')]
    assert len(error) == 1 and 'Traceback' not in proc.stderr
    assert 'MMVITDET_CHECKPOINTS' in error[0]
    assert 'python tools/download_checkpoints.py --init mae --size b' in error[0]


def test_a_missing_checkpoint_names_where_it_goes_and_how_to_fetch_it(tmp_path):
    from mmvitdet.checkpoints import load_pretrained
    from mmvitdet.models import ViT
    from mmvitdet.utils.cli_errors import user_error_message
    vit = ViT(arch=dict(embed_dims=32, num_layers=2, num_heads=2), img_size=64, window_size=0)
    with pytest.raises(FileNotFoundError) as e:  # a CheckpointError, and still a FileNotFoundError
        load_pretrained(vit, str(tmp_path / 'sam_vit_l_0b3195.pth'))
    message = user_error_message(e.value)
    assert message.count('\n') == 0 and str(tmp_path / 'sam_vit_l_0b3195.pth') in message
    assert 'MMVITDET_CHECKPOINTS' in message and 'download_checkpoints.py --init sam --size l' in message


def _png_header_only(path: Path, width: int, height: int) -> None:
    """A PNG whose header declares width x height (IHDR) with no pixel data: opening it costs nothing."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack('>I', len(data)) + kind + data + struct.pack('>I', zlib.crc32(kind + data))
    path.write_bytes(b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', width, height, 8, 0, 0, 0, 0))
                     + chunk(b'IEND', b''))


def _rewrite(ann: Path, change) -> None:
    data = json.loads(ann.read_text())
    change(data)
    ann.write_text(json.dumps(data))


def test_paths_outside_the_image_folder_are_refused(roboflow, tmp_path):
    outside = tmp_path / 'outside.png'
    shutil.copy(sorted((roboflow / 'train').glob('*.png'))[0], outside)
    (roboflow / 'train' / 'link.png').symlink_to(outside)
    ann = roboflow / 'train' / '_annotations.coco.json'

    def escape(data):
        data['images'][0]['file_name'] = '../../outside.png'
        data['images'][1]['file_name'] = str(outside)
        data['images'][2]['file_name'] = 'link.png'
    _rewrite(ann, escape)
    with pytest.raises(AnnotationFormatError, match=r"3 images lie outside the image folder .*\.\./\.\./outside.png "
                                                    r"\('\.\.' in the path\), .*outside.png \(an absolute path\), "
                                                    r'link.png \(a link to a file outside the image folder\)'):
        apply_own_data(Config.fromfile(str(CPU_CONFIG)))


def test_an_image_declaring_too_many_pixels_is_named(roboflow):
    victim = sorted((roboflow / 'train').glob('*.png'))[0]
    _png_header_only(victim, 30000, 30000)
    with pytest.raises(AnnotationFormatError, match=f'1 images declare more than own_data.max_pixels=89478485 '
                                                    rf'pixels \({victim.name} \(30000 x 30000\)\)'):
        apply_own_data(Config.fromfile(str(CPU_CONFIG)))
    cfg = Config.fromfile(str(CPU_CONFIG))
    cfg.own_data.max_pixels = 30000 * 30000  # genuine large images: the bound is the user's
    apply_own_data(cfg)


def test_decode_check_finds_a_truncated_image_the_header_check_passes(roboflow):
    victim = sorted((roboflow / 'valid').glob('*.png'))[0]
    victim.write_bytes(victim.read_bytes()[:victim.stat().st_size // 2])
    apply_own_data(Config.fromfile(str(CPU_CONFIG)))  # headers only: passes
    cfg = Config.fromfile(str(CPU_CONFIG))
    cfg.own_data.check = 'decode'
    with pytest.raises(AnnotationFormatError, match=f'1 images do not open as images \\({victim.name} \\(OpenCV '
                                                    'cannot decode it'):
        apply_own_data(cfg)


def test_dropped_annotations_are_counted_and_named(roboflow, monkeypatch):
    from mmdet.registry import DATASETS
    from mmengine.registry import DefaultScope
    from mmvitdet.datasets import checked_coco_dataset
    ann = roboflow / 'train' / '_annotations.coco.json'

    def degrade(data):
        anns = data['annotations']
        anns[0]['bbox'][2] = -5  # negative width
        anns[1]['bbox'] = [500, 500, 10, 10]  # outside a 96 x 96 image
        anns[2]['iscrowd'] = 1
        data['annotations'] = anns
    _rewrite(ann, degrade)
    ids = [a['id'] for a in json.loads(ann.read_text())['annotations'][:3]]
    lines = []
    monkeypatch.setattr(checked_coco_dataset, 'print_log', lambda msg, logger=None: lines.append(msg))
    cfg = apply_own_data(Config.fromfile(str(CPU_CONFIG)))
    with DefaultScope.overwrite_default_scope('mmdet'):
        dataset = DATASETS.build(cfg.train_dataloader.dataset)
        dataset.full_init()
    assert dataset.dropped == {'zero or negative size': [ids[0]], 'outside the image': [ids[1]],
                               'crowd (kept as an ignore region)': [ids[2]]}
    assert len(lines) == 1 and '3 annotations not trained as objects' in lines[0]
    assert f'1 zero or negative size (ids {ids[0]})' in lines[0] and str(ann.relative_to(roboflow)) in lines[0]


def test_an_image_that_fails_in_training_is_refused_at_the_next_launch(roboflow, tmp_path):
    from mmvitdet.datasets.bad_images import RECORD, check_recorded_bad_images
    from mmvitdet.datasets.checked_loading import ImageReadError
    images = sorted((roboflow / 'train').glob('*.png'))
    good = images[1].read_bytes()
    images[0].write_bytes(images[0].read_bytes()[:images[0].stat().st_size // 2])  # the header still parses
    work_dir = tmp_path / 'work'
    loaders = [f'{loader}.{key}' for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader')
               for key in ('num_workers=0', 'persistent_workers=False')]
    argv = [str(CPU_CONFIG), '--work-dir', str(work_dir), '--cfg-options', 'train_cfg.max_epochs=1', *loaders]
    with pytest.raises(ImageReadError, match=f"image '.*{images[0].name}'.*cannot be decoded"):
        _tool('train').main(argv)
    assert json.loads((work_dir / RECORD).read_text())[0]['path'] == str(images[0])
    with pytest.raises(ImageReadError, match='unchanged since'):  # at once, before any model or data is built
        _tool('train').main(argv)
    images[0].write_bytes(good)  # the user's fix
    check_recorded_bad_images(str(work_dir))
    assert not (work_dir / RECORD).exists()
