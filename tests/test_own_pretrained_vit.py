"""Your own pre-trained ViT (configs/own_init): the file from MMVITDET_PRETRAINED, its layout detected and named in
the load report, errors that tell an own file from an official one; ``tools/train.py --short``; evaluation of part
of a validation set."""
import json
from pathlib import Path

import numpy as np
import pytest
import torch
from mmengine.config import Config

from mmvitdet.analysis.run_identity import identify_run
from mmvitdet.checkpoints import load_pretrained
from mmvitdet.engine.short_run import shorten
from mmvitdet.utils.cli_errors import user_error_message

from test_configs_2025_releases import built_vit
from test_own_data_placeholder_ids import CPU_CONFIG, ONE_EPOCH, export, facade_export  # noqa: F401  (fixtures)

REPO = Path(__file__).resolve().parents[1]
OWN = {'b': REPO / 'configs/own_init/mask-rcnn_vit-b-own_fpn_lsj-100e_coco.py',
       'l': REPO / 'configs/own_init/mask-rcnn_vit-l-own_fpn_lsj-100e_coco.py'}
MAE_B = REPO / 'configs/mae/mask-rcnn_vit-b-mae_fpn_lsj-100e_coco.py'
TINY = dict(arch=dict(embed_dims=64, num_layers=4, num_heads=2, mlp_ratio=4), img_size=64, window_size=0,
            out_indices=(0, 1, 2, 3), drop_path_rate=0.0)


def timm_file(path: Path) -> Path:
    """A timm VisionTransformer's state dict (the layout of DeiT and of most home-made ViTs), width 64."""
    from timm.models.vision_transformer import VisionTransformer
    torch.manual_seed(0)
    torch.save(VisionTransformer(img_size=224, patch_size=16, embed_dim=64, depth=4, num_heads=2,
                                 num_classes=0).state_dict(), path)
    return path


def real_vit(cfg):
    """The config's ViT at width 64 / depth 4 (real tensors), with the config's init_cfg."""
    from mmdet.registry import MODELS
    from mmengine.registry import DefaultScope
    kwargs = dict(cfg.model.backbone, **TINY)
    kwargs.pop('type')
    with DefaultScope.overwrite_default_scope('mmdet'):
        return MODELS.build(dict(type='ViT', **kwargs))


@pytest.mark.parametrize('size,dp', [('b', 0.1), ('l', 0.3)])
def test_configs_take_the_file_from_the_environment(size, dp, monkeypatch):
    monkeypatch.setenv('MMVITDET_PRETRAINED', '/data/my_vit.pth')
    cfg = Config.fromfile(str(OWN[size]))
    assert cfg.model.backbone.init_cfg == dict(type='Pretrained', checkpoint='/data/my_vit.pth', format='auto')
    assert (cfg.optim_wrapper.optimizer.lr, cfg.optim_wrapper.optimizer.weight_decay) == (8e-5, 0.1)
    assert cfg.model.backbone.drop_path_rate == dp  # MAE's recipe, the paper's table
    built_vit(cfg.model.backbone)  # the config builds as is
    ident = identify_run(cfg.to_dict(), str(OWN[size]))
    assert (ident.init, ident.size, ident.checkpoint) == ('own', size.upper(), 'my_vit.pth')


def test_the_layout_is_detected_and_named(tmp_path, monkeypatch, capsys):
    path = timm_file(tmp_path / 'my_vit.pth')
    monkeypatch.setenv('MMVITDET_PRETRAINED', str(path))
    vit = real_vit(Config.fromfile(str(OWN['b'])))
    vit.init_weights()
    assert f'Loaded ViT weights from {path} (format: timm): ' in capsys.readouterr().out
    report = load_pretrained(real_vit(Config.fromfile(str(MAE_B))), str(path), format='mae')
    assert (report.format, report.detected) == ('mae', 'timm')
    assert '(format: timm, detected from its keys; read as mae, as init_cfg.format asks)' in report.to_text()


def test_missing_files_say_whose_they_are(tmp_path, monkeypatch):
    vit = built_vit(Config.fromfile(str(MAE_B)).model.backbone, **TINY, init_cfg=None)
    own = str(tmp_path / 'my_vit.pth')
    monkeypatch.setenv('MMVITDET_PRETRAINED', own)
    with pytest.raises(FileNotFoundError) as e:
        load_pretrained(vit, own)
    message = user_error_message(e.value)
    assert f'checkpoint file {own} (the value of MMVITDET_PRETRAINED) does not exist (working directory' in message
    assert 'download' not in message and 'init_cfg.checkpoint' not in message
    monkeypatch.delenv('MMVITDET_PRETRAINED')
    unset = Config.fromfile(str(OWN['b'])).model.backbone.init_cfg.checkpoint
    with pytest.raises(FileNotFoundError, match='no pre-trained file given for your own ViT: set MMVITDET_PRETRAINED='):
        load_pretrained(vit, unset)
    with pytest.raises(FileNotFoundError, match='put the official file mae_pretrain_vit_base.pth .*--init mae'):
        load_pretrained(vit, str(tmp_path / 'mae_pretrain_vit_base.pth'))


def test_short_rewrites_size_iterations_and_evaluation(monkeypatch):
    cfg = Config.fromfile(str(MAE_B))
    changes = shorten(cfg, iters=5, size=256)
    assert 'model.backbone.img_size: (1024, 1024) -> (256, 256)' in changes
    assert cfg.model.data_preprocessor.pad_size_divisor == 256
    assert (cfg.train_dataloader.batch_size, cfg.train_dataloader.dataset.indices) == (2, 10)
    assert (cfg.train_cfg.max_epochs, cfg.train_cfg.val_interval) == (1, 1)
    assert cfg.val_dataloader.dataset.indices == 20 and cfg.val_evaluator.type == 'CheckedCocoMetric'
    assert cfg.optim_wrapper.optimizer.lr == 8e-5  # recipe untouched
    small = Config.fromfile(str(REPO / 'configs/quickstart/mask-rcnn_vit-t-random_fpn_lsj-10e_shapes.py'))
    shorten(small, iters=3)
    assert small.model.backbone.img_size == (192, 192)  # smaller than --short-size: kept


def test_a_short_run_on_own_data_trains_and_evaluates(export, tmp_path, capsys):  # noqa: F811
    from test_own_data import _tool
    work_dir = tmp_path / 'short'
    _tool('train').main([str(CPU_CONFIG), '--short', '2', '--work-dir', str(work_dir), '--cfg-options',
                         *[o for o in ONE_EPOCH if 'num_workers' in o or 'persistent' in o]])
    assert 'short run: train: the first 4 images, batch 2, 2 iterations in one epoch' in capsys.readouterr().out
    metrics = [json.loads(line) for line in next(work_dir.glob('*/vis_data/scalars.json')).read_text().splitlines()]
    assert [m['iter'] for m in metrics if 'loss' in m] == [1, 2] and any('coco/bbox_mAP' in m for m in metrics)
    assert (work_dir / 'epoch_1.pth').is_file()


def test_part_of_a_val_set_is_scored_over_its_images(export):  # noqa: F811
    """Perfect predictions for one of four images: AP 1 over that image (mmdet's CocoMetric counts the other
    three images' objects as missed)."""
    from mmdet.evaluation import CocoMetric

    from mmvitdet.evaluation import CheckedCocoMetric
    ann = export / 'valid/_annotations.coco.json'
    data = json.loads(ann.read_text())
    image = data['images'][0]
    ids = (3, 5, 9)
    objects = [a for a in data['annotations'] if a['image_id'] == image['id']]
    boxes = np.array([[x, y, x + w, y + h] for x, y, w, h in (a['bbox'] for a in objects)], dtype=np.float32)
    sample = dict(img_id=image['id'], ori_shape=(image['height'], image['width']),
                  pred_instances=dict(bboxes=torch.from_numpy(boxes), scores=torch.ones(len(objects)),
                                      labels=torch.tensor([ids.index(a['category_id']) for a in objects])))
    by_name = ann.parent / 'without_placeholder.json'  # mmdet's metric looks ids up by name
    by_name.write_text(json.dumps(dict(data, categories=[c for c in data['categories'] if c['id']])))
    scores = {}
    for metric in (CheckedCocoMetric(ann_file=str(ann), category_ids=ids), CocoMetric(ann_file=str(by_name))):
        metric.dataset_meta = dict(classes=('facade', 'window', 'door'))
        metric.process({}, [sample])
        scores[type(metric).__name__] = metric.evaluate(1)['coco/bbox_mAP']
    assert scores['CheckedCocoMetric'] == 1.0 and scores['CocoMetric'] < 1.0


@pytest.mark.slow  # a ViT-B file of 343 MB and 4 ViT-B iterations at 256 px: about 90 s; run with -m slow
def test_own_vit_b_on_own_data_short(export, tmp_path, monkeypatch, capsys):  # noqa: F811
    """The documented route end to end: a timm ViT-B/16 file, configs/own_data/...-own_..., --short."""
    import timm

    from test_own_data import _tool
    path = tmp_path / 'my_vit_b.pth'
    torch.save(timm.create_model('vit_base_patch16_224', pretrained=False, num_classes=0).state_dict(), path)
    monkeypatch.setenv('MMVITDET_PRETRAINED', str(path))
    work_dir = tmp_path / 'short'
    _tool('train').main([str(REPO / 'configs/own_data/mask-rcnn_vit-b-own_fpn_lsj-100e_own.py'), '--short',
                         '--work-dir', str(work_dir)])
    out = capsys.readouterr().out
    assert f'Loaded ViT weights from {path} (format: timm): 146 loaded' in out
    assert 'short run: model.backbone.img_size: (1024, 1024) -> (256, 256)' in out
    assert (work_dir / 'epoch_1.pth').is_file()
