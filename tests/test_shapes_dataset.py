"""The synthetic shapes generator writes valid, deterministic COCO that mmdet reads unchanged."""
import filecmp
import json
import os

import numpy as np
import pytest
from pycocotools.coco import COCO

import mmvitdet  # noqa: F401  (registers CheckedCocoDataset)
from mmvitdet.datasets import shapes as shapes_module
from mmvitdet.datasets.shapes import (ShapesDatasetError, ensure_shapes_dataset,
                                      generate_shapes_dataset)

SMALL = dict(num_train=16, num_val=4, img_size=128, max_size=64, seed=3)


@pytest.fixture(scope='module')
def small(tmp_path_factory):
    return generate_shapes_dataset(tmp_path_factory.mktemp('shapes') / 'data', **SMALL)


def _mask_box(mask):
    ys, xs = np.nonzero(mask)
    return np.array([xs.min(), ys.min(), xs.max() - xs.min() + 1, ys.max() - ys.min() + 1])


@pytest.mark.parametrize('split', ['train', 'val'])
def test_coco_json_is_valid(small, split):
    coco = COCO(small.ann_files[split])
    n = SMALL['num_train'] if split == 'train' else SMALL['num_val']
    assert len(coco.imgs) == n
    assert [c['name'] for c in coco.loadCats(coco.getCatIds())] == ['circle', 'square', 'triangle']
    anns = coco.dataset['annotations']
    assert len({a['id'] for a in anns}) == len(anns)
    assert len({i['id'] for i in coco.dataset['images']}) == n
    for img in coco.dataset['images']:
        assert os.path.isfile(os.path.join(small.img_dirs[split], img['file_name']))
        assert (img['width'], img['height']) == (128, 128)
    for ann in anns:
        assert ann['iscrowd'] == 0 and ann['category_id'] in coco.cats
        mask = coco.annToMask(ann)
        assert mask.shape == (128, 128)
        assert ann['area'] == mask.sum() > 0
        assert np.array_equal(_mask_box(mask), ann['bbox'])  # exact (the brief allows 1 px)


def test_occlusion_gives_disjoint_visible_masks_and_rle(small):
    coco = COCO(small.ann_files['train'])
    rle = [a for a in coco.dataset['annotations'] if isinstance(a['segmentation'], dict)]
    assert rle, 'expected some occluded instances stored as RLE'
    for img_id in coco.imgs:
        masks = [coco.annToMask(a) for a in coco.loadAnns(coco.getAnnIds(imgIds=[img_id]))]
        if masks:
            # Each instance is its visible region, so instances never share a pixel.
            assert np.sum(masks, axis=0).max() == 1
            assert 1 <= len(masks) <= 4


def test_same_seed_byte_identical_other_seed_differs(small, tmp_path):
    again = generate_shapes_dataset(tmp_path / 'again', **SMALL)
    other = generate_shapes_dataset(tmp_path / 'other', **dict(SMALL, seed=4))
    for split in ('train', 'val'):
        assert filecmp.cmp(small.ann_files[split], again.ann_files[split], shallow=False)
        names = sorted(os.listdir(small.img_dirs[split]))
        assert names == sorted(os.listdir(again.img_dirs[split]))
        _, mismatch, errors = filecmp.cmpfiles(small.img_dirs[split], again.img_dirs[split],
                                               names, shallow=False)
        assert mismatch == [] and errors == []
    assert not filecmp.cmp(small.ann_files['train'], other.ann_files['train'], shallow=False)


@pytest.mark.parametrize('mask_format', ['polygon', 'rle'])
def test_mask_formats_agree_with_auto(small, tmp_path, mask_format):
    alt = generate_shapes_dataset(tmp_path / mask_format, mask_format=mask_format, **SMALL)
    exact, other = COCO(small.ann_files['train']), COCO(alt.ann_files['train'])
    kinds = {type(a['segmentation']) for a in other.dataset['annotations']}
    assert kinds == ({list} if mask_format == 'polygon' else {dict})
    for ann_id, ann in exact.anns.items():
        a, b = exact.annToMask(ann), other.annToMask(other.anns[ann_id])
        assert other.anns[ann_id]['bbox'] == ann['bbox']
        if mask_format == 'rle':
            assert np.array_equal(a, b)
        else:  # traced outlines of occluded regions: holes filled, otherwise the same pixels
            assert (b >= a).all() and a.sum() / b.sum() > 0.9


def test_mmdet_pipeline_loads_masks_and_boxes(small):
    from mmdet.registry import DATASETS
    from mmengine.registry import init_default_scope
    init_default_scope('mmdet')
    dataset = DATASETS.build(dict(
        type='CheckedCocoDataset', data_root=small.root,
        ann_file='annotations/instances_val.json', data_prefix=dict(img='val/'),
        metainfo=dict(classes=('circle', 'square', 'triangle')),
        pipeline=[dict(type='LoadImageFromFile'),
                  dict(type='LoadAnnotations', with_bbox=True, with_mask=True)]))
    coco = COCO(small.ann_files['val'])
    assert len(dataset) == SMALL['num_val']
    for i in range(len(dataset)):
        out = dataset[i]
        anns = coco.loadAnns(coco.getAnnIds(imgIds=[out['img_id']]))
        assert out['img'].shape == (128, 128, 3)
        masks = out['gt_masks'].masks
        assert masks.shape == (len(anns), 128, 128)
        for mask, box, label, ann in zip(masks, out['gt_bboxes'].tensor.numpy(),
                                         out['gt_bboxes_labels'], anns):
            assert np.array_equal(mask, coco.annToMask(ann))
            x, y, w, h = ann['bbox']
            assert np.allclose(box, [x, y, x + w, y + h])
            assert label == ann['category_id'] - 1


def test_ensure_reuses_and_rejects_different_parameters(tmp_path):
    root = tmp_path / 'data'
    params = dict(num_train=3, num_val=2, img_size=64, max_size=40)
    paths = ensure_shapes_dataset(root, **params)
    stamp = os.stat(paths.ann_files['train']).st_mtime_ns
    assert ensure_shapes_dataset(root, **params).ann_files == paths.ann_files
    assert os.stat(paths.ann_files['train']).st_mtime_ns == stamp  # reused, not regenerated
    with pytest.raises(ShapesDatasetError, match=r"seed=0 \(requested 7\)"):
        ensure_shapes_dataset(root, **dict(params, seed=7))
    os.remove(os.path.join(paths.img_dirs['val'], '000001.png'))
    with pytest.raises(ShapesDatasetError, match='has 1 images, its metadata says 2'):
        ensure_shapes_dataset(root, **params)
    regenerated = generate_shapes_dataset(root, overwrite=True, **dict(params, seed=7))
    assert json.load(open(regenerated.meta_file))['params']['seed'] == 7
    assert sorted(os.listdir(root)) == ['annotations', 'train', 'val']  # temp folder removed


def test_existing_files_without_metadata_are_not_touched(tmp_path):
    root = tmp_path / 'data'
    os.makedirs(root / 'train')
    (root / 'train' / 'mine.png').write_bytes(b'user data')
    with pytest.raises(ShapesDatasetError, match='no .*shapes_meta.json'):
        ensure_shapes_dataset(root, num_train=2, num_val=1, img_size=64, max_size=40)
    with pytest.raises(ShapesDatasetError, match='already contains'):
        generate_shapes_dataset(root, num_train=2, num_val=1, img_size=64, max_size=40)
    assert (root / 'train' / 'mine.png').read_bytes() == b'user data'
    assert sorted(os.listdir(root)) == ['train']


def test_interrupted_generation_leaves_nothing_valid_looking(tmp_path, monkeypatch):
    root = tmp_path / 'data'
    params = dict(num_train=4, num_val=2, img_size=64, max_size=40)
    real = shapes_module._split_coco

    def fail_on_val(params_, split, img_dir):
        if split == 'val':
            raise KeyboardInterrupt
        return real(params_, split, img_dir)

    monkeypatch.setattr(shapes_module, '_split_coco', fail_on_val)
    with pytest.raises(KeyboardInterrupt):
        ensure_shapes_dataset(root, **params)
    assert os.listdir(root) == []
    monkeypatch.setattr(shapes_module, '_split_coco', real)
    assert os.path.isfile(ensure_shapes_dataset(root, **params).meta_file)


@pytest.mark.parametrize('bad, match', [(dict(max_size=300), 'max_size <= img_size'),
                                        (dict(classes=('circle', 'blob')), 'classes'),
                                        (dict(mask_format='bitmap'), 'mask_format')])
def test_bad_parameters_are_rejected_before_writing(tmp_path, bad, match):
    with pytest.raises(ValueError, match=match):
        generate_shapes_dataset(tmp_path / 'data', **dict(SMALL, **bad))
    assert not (tmp_path / 'data').exists()


def test_cli(tmp_path, capsys):
    from importlib.util import module_from_spec, spec_from_file_location
    path = os.path.join(os.path.dirname(__file__), '..', 'tools', 'generate_shapes.py')
    spec = spec_from_file_location('generate_shapes', path)
    cli = module_from_spec(spec)
    spec.loader.exec_module(cli)
    root = str(tmp_path / 'cli')
    argv = [root, '--num-train', '3', '--num-val', '2', '--img-size', '64', '--max-size', '40']
    assert cli.main(argv) == 0
    assert 'instances_train.json' in capsys.readouterr().out
    assert cli.main(argv + ['--seed', '1']) == 1
    assert 'seed=0 (requested 1)' in capsys.readouterr().err
    assert cli.main(argv + ['--seed', '1', '--overwrite']) == 0
