"""Bad data inputs raise errors that name the file and the fix, and modify nothing."""
import hashlib
import json
import os
import re
import shutil

import pytest
from mmdet.registry import DATASETS, TRANSFORMS
from mmengine.registry import init_default_scope

import mmvitdet  # noqa: F401  (registration)
from mmvitdet.datasets import (AnnotationFormatError, DataNotFoundError, ImageReadError,
                               generate_shapes_dataset)

CLASSES = ('circle', 'square', 'triangle')


@pytest.fixture(scope='module')
def source(tmp_path_factory):
    return generate_shapes_dataset(tmp_path_factory.mktemp('src') / 'shapes', num_train=2,
                                   num_val=2, img_size=64, max_size=40)


@pytest.fixture
def root(source, tmp_path):
    """A private copy of the small dataset, free to corrupt."""
    dst = tmp_path / 'shapes'
    shutil.copytree(source.root, dst)
    return str(dst)


def _snapshot(folder):
    out = {}
    for dirpath, _, names in os.walk(folder):
        for name in names:
            path = os.path.join(dirpath, name)
            out[path] = hashlib.sha1(open(path, 'rb').read()).hexdigest()
    return out


def _build(data_root, ann_file='annotations/instances_val.json', img='val/', **kwargs):
    init_default_scope('mmdet')
    return DATASETS.build(dict(type='CheckedCocoDataset', data_root=data_root, ann_file=ann_file,
                               data_prefix=dict(img=img), metainfo=dict(classes=CLASSES),
                               pipeline=[dict(type='CheckedLoadImageFromFile')], **kwargs))


def _write_ann(root, content):
    path = os.path.join(root, 'annotations', 'instances_val.json')
    with open(path, 'w') as f:
        f.write(content if isinstance(content, str) else json.dumps(content))
    return path


def _ann(root):
    with open(os.path.join(root, 'annotations', 'instances_val.json')) as f:
        return json.load(f)


def test_valid_copy_loads(root):
    assert len(_build(root)) == 2


def test_missing_data_root(tmp_path):
    missing = str(tmp_path / 'nowhere' / 'coco')
    message = re.escape(f"data root '{missing}' not found")
    with pytest.raises(DataNotFoundError, match=message) as e:
        _build(missing)
    assert 'data_root=PATH' in str(e.value) and 'generate_shapes.py' in str(e.value)


def test_missing_data_hint_is_configurable(tmp_path):
    with pytest.raises(DataNotFoundError, match='run prepare.sh'):
        _build(str(tmp_path / 'nowhere'), missing_data_hint='run prepare.sh')


def test_missing_annotation_file_lists_folder(root):
    with pytest.raises(DataNotFoundError) as e:
        _build(root, ann_file='annotations/instances_val2017.json')
    message = str(e.value)
    assert os.path.join(root, 'annotations', 'instances_val2017.json') in message
    assert 'instances_val.json' in message and 'ann_file' in message


def test_missing_image_folder(root):
    with pytest.raises(DataNotFoundError, match=re.escape(f"image folder '{root}/val2017/")):
        _build(root, img='val2017/')


def test_image_folder_of_another_split(root):
    os.makedirs(os.path.join(root, 'empty'))
    with pytest.raises(DataNotFoundError, match='000000.png.*first listed.*data_prefix'):
        _build(root, img='empty/')


@pytest.mark.parametrize('content, match', [
    ('{"images": [', 'is not valid json'),
    ('\x89PNG not json', 'is not valid json'),
    ([1, 2, 3], 'holds a list, not a json object'),
    ({'images': [], 'categories': []}, r"has no list \['annotations'\]"),
])
def test_not_coco_json(root, content, match):
    path = _write_ann(root, content)
    before = _snapshot(root)
    with pytest.raises(AnnotationFormatError, match=match) as e:
        _build(root)
    assert path in str(e.value)
    assert _snapshot(root) == before  # validation writes nothing


def test_undeclared_category_id(root):
    data = _ann(root)
    data['annotations'][0]['category_id'] = 9
    path = _write_ann(root, data)
    with pytest.raises(AnnotationFormatError, match=r"category_id \[9\] not declared") as e:
        _build(root)
    assert path in str(e.value)


def test_undeclared_image_id(root):
    data = _ann(root)
    data['annotations'][-1]['image_id'] = 99
    _write_ann(root, data)
    with pytest.raises(AnnotationFormatError, match=r"image_id \[99\] not declared in 'images'"):
        _build(root)


def test_entry_missing_field(root):
    data = _ann(root)
    del data['images'][1]['file_name']
    _write_ann(root, data)
    with pytest.raises(AnnotationFormatError, match=r"entry of 'images' lacks \['file_name'\]"):
        _build(root)


def test_classes_not_in_file(root):
    # CocoDataset's default metainfo (the 80 COCO classes) on another dataset: mmdet would
    # silently drop every annotation.
    init_default_scope('mmdet')
    with pytest.raises(AnnotationFormatError, match=r"80 of the 80 classes .*\['person'.*circle"):
        DATASETS.build(dict(type='CheckedCocoDataset', data_root=root,
                            ann_file='annotations/instances_val.json',
                            data_prefix=dict(img='val/'), pipeline=[]))


def _load(path, **kwargs):
    return TRANSFORMS.build(dict(type='CheckedLoadImageFromFile', **kwargs))(
        dict(img_path=path))


@pytest.mark.parametrize('corruption', ['truncated', 'empty', 'text'])
def test_corrupt_image(root, corruption):
    path = os.path.join(root, 'val', '000001.png')
    data = open(path, 'rb').read()
    damaged = dict(truncated=data[:len(data) // 3], empty=b'', text=b'not an image')[corruption]
    with open(path, 'wb') as f:
        f.write(damaged)
    dataset = _build(root)
    message = re.escape(f"image '{path}' (") + '.* cannot be decoded'
    with pytest.raises(ImageReadError, match=message):
        dataset[1]
    assert open(path, 'rb').read() == damaged
    assert _load(path, ignore_empty=True) is None


def test_missing_image(root):
    path = os.path.join(root, 'val', '000001.png')
    os.remove(path)
    dataset = _build(root)
    with pytest.raises(DataNotFoundError, match=re.escape(f"image '{path}' not found")):
        dataset[1]
    assert _load(path, ignore_empty=True) is None


def test_good_image_matches_mmcv_loader(root):
    path = os.path.join(root, 'val', '000000.png')
    ours = _load(path, to_float32=True)
    theirs = TRANSFORMS.build(dict(type='LoadImageFromFile', to_float32=True))(
        dict(img_path=path))
    assert (ours['img'] == theirs['img']).all() and ours['img'].dtype == theirs['img'].dtype
    assert ours['img_shape'] == theirs['img_shape'] == (64, 64)
