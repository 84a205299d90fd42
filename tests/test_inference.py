"""mmdet's inference API on mmvitdet configs: DetInferencer, init_detector/inference_detector.

A quickstart model is trained for 2 iterations on a tiny generated shapes set; its checkpoint is
then used the way an mmdet user would after the quickstart.
"""
import os
import warnings
from pathlib import Path

import mmcv
import numpy as np
import pytest
from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmengine.runner import Runner

from mmvitdet.engine.launch_config import load_launch_config

REPO = Path(__file__).resolve().parents[1]
QUICKSTART = REPO / 'configs/quickstart/mask-rcnn_vit-t-random_fpn_lsj-10e_shapes.py'
CLASSES = ('circle', 'square', 'triangle')


def _model_configs():
    """Every detector config (named ``mask-rcnn_*`` as mmdet names them; the other configs are
    sweep definitions and pre-training recipes)."""
    return sorted(p for p in (REPO / 'configs').rglob('mask-rcnn_*.py')
                  if '_base_' not in p.parts and '-frozen_' not in p.name)  # frozen: the same test pipeline


def quickstart_cfg(data_root: str, work_dir: str, iters: int = 2) -> Config:
    """The quickstart config on a tiny shapes set under ``data_root``, ``iters`` iterations."""
    shapes = dict(num_train=8, num_val=4, img_size=192, seed=0, classes=list(CLASSES))
    options = {}
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        options.update({f'{loader}.num_workers': 0, f'{loader}.persistent_workers': False,
                        f'{loader}.dataset.data_root': data_root + '/',
                        f'{loader}.dataset.generate': shapes})
    for evaluator in ('val_evaluator', 'test_evaluator'):
        options[f'{evaluator}.ann_file'] = data_root + '/annotations/instances_val.json'
    cfg = load_launch_config(str(QUICKSTART), options, work_dir, 'none')
    cfg.train_cfg = dict(type='IterBasedTrainLoop', max_iters=iters, val_interval=iters + 1)
    cfg.param_scheduler = [dict(type='ConstantLR', factor=1.0, by_epoch=False)]
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook', interval=iters, by_epoch=False)
    cfg.randomness = dict(seed=0)
    cfg.visualizer.name = f'visualizer_{id(cfg)}'
    return cfg


@pytest.fixture(scope='module')
def trained(tmp_path_factory):
    """(data_root, checkpoint) of a 2-iteration quickstart run."""
    data_root = str(tmp_path_factory.mktemp('shapes'))
    work_dir = tmp_path_factory.mktemp('work')
    with DefaultScope.overwrite_default_scope('mmdet'):
        Runner.from_cfg(quickstart_cfg(data_root, str(work_dir))).train()
    checkpoint = work_dir / 'iter_2.pth'
    assert checkpoint.is_file()
    return data_root, str(checkpoint)


def test_det_inferencer_on_quickstart_checkpoint(trained, tmp_path):
    from mmdet.apis import DetInferencer
    data_root, checkpoint = trained
    images = sorted(Path(data_root, 'val').glob('*.png'))
    inferencer = DetInferencer(model=str(QUICKSTART), weights=checkpoint, device='cpu',
                               show_progress=False)
    assert inferencer.model.dataset_meta['classes'] == CLASSES  # from the checkpoint's meta
    # a 2-iteration model scores its boxes below mmdet's default 0.05 box threshold
    inferencer.model.roi_head.test_cfg.score_thr = 0.0
    out_dir = tmp_path / 'out'
    # a folder, as the mmdet demo takes it; pred_score_thr=0 draws whatever a 2-iteration model finds
    result = inferencer(str(Path(data_root, 'val')), out_dir=str(out_dir), pred_score_thr=0.0,
                        no_save_pred=False)
    predictions = result['predictions']
    assert len(predictions) == len(images)
    for prediction in predictions:
        assert len(prediction['labels']) == len(prediction['scores']) == len(prediction['bboxes'])
        assert len(prediction['masks']) == len(prediction['labels'])
        assert all(0 <= label < len(CLASSES) for label in prediction['labels'])
    assert sum(len(p['labels']) for p in predictions) > 0
    pictures = sorted((out_dir / 'vis').glob('*.png'))
    assert [p.name for p in pictures] == [p.name for p in images]
    drawn = [not np.array_equal(mmcv.imread(str(picture)), mmcv.imread(str(image)))
             for picture, image in zip(pictures, images)]
    assert any(drawn)
    assert len(list((out_dir / 'preds').glob('*.json'))) == len(images)


def test_init_detector_and_inference_detector(trained):
    from mmdet.apis import inference_detector, init_detector
    data_root, checkpoint = trained
    model = init_detector(str(QUICKSTART), checkpoint, device='cpu')
    image = sorted(Path(data_root, 'val').glob('*.png'))[0]
    from_path = inference_detector(model, str(image))
    from_array = inference_detector(model, mmcv.imread(str(image)))
    assert from_path.pred_instances.bboxes.shape[1] == 4
    np.testing.assert_allclose(from_path.pred_instances.scores.numpy(),
                               from_array.pred_instances.scores.numpy(), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize('config', _model_configs(), ids=lambda p: str(p.relative_to(REPO / 'configs')))
def test_every_config_passes_the_inferencer_pipeline_lookup(config):
    """DetInferencer replaces the test pipeline's LoadImageFromFile with its own loader; every config
    must have one there (building the whole model for each config would take minutes)."""
    from mmdet.apis import DetInferencer
    cfg = Config.fromfile(str(config))
    with DefaultScope.overwrite_default_scope('mmdet'):
        pipeline = DetInferencer._init_pipeline(DetInferencer.__new__(DetInferencer), cfg)
    assert type(pipeline.transforms[0]).__name__ == 'InferencerLoader'


@pytest.mark.slow  # ~12 s: the MAE config's 1024-px detector builds and runs once
def test_paper_config_builds_an_inferencer():
    """A paper config (MAE ViT-B) builds a DetInferencer; random weights, a 4-block ViT to stay fast."""
    from mmdet.apis import DetInferencer
    cfg = Config.fromfile(str(REPO / 'configs/mae/mask-rcnn_vit-b-mae_fpn_lsj-100e_coco.py'))
    cfg.model.backbone.arch = dict(embed_dims=96, num_layers=4, num_heads=3)
    cfg.model.backbone.global_attn_indices = cfg.model.backbone.out_indices = (0, 1, 2, 3)
    cfg.model.backbone.init_cfg = None
    cfg.model.neck[0].in_channels = 96
    cfg.model.neck[1].in_channels = [96] * 4
    with pytest.warns(UserWarning):  # mmdet warns that there are no weights and no class names
        inferencer = DetInferencer(model=cfg, weights=None, device='cpu', show_progress=False)
    image = np.random.default_rng(0).integers(0, 255, (96, 128, 3), dtype=np.uint8)
    result = inferencer(image, return_datasamples=True)
    assert result['predictions'][0].pred_instances.bboxes.shape[1] == 4


def test_dataset_runs_plain_loader_with_checks(tmp_path):
    """A CheckedCocoDataset turns LoadImageFromFile into CheckedLoadImageFromFile."""
    from mmdet.registry import DATASETS

    from mmvitdet.datasets import CheckedLoadImageFromFile, DataNotFoundError, generate_shapes_dataset
    paths = generate_shapes_dataset(tmp_path / 'shapes', num_train=1, num_val=2, img_size=64, max_size=40)
    with DefaultScope.overwrite_default_scope('mmdet'):
        dataset = DATASETS.build(dict(
            type='CheckedCocoDataset', data_root=str(paths.root), ann_file='annotations/instances_val.json',
            data_prefix=dict(img='val/'), metainfo=dict(classes=CLASSES),
            pipeline=[dict(type='LoadImageFromFile')]))
        assert isinstance(dataset.pipeline.transforms[0], CheckedLoadImageFromFile)
        second = Path(dataset.get_data_info(1)['img_path'])
        second.unlink()
        with pytest.raises(DataNotFoundError, match=f"image '{second}' not found"):
            dataset[1]


def _tool(name):
    import importlib.util
    spec = importlib.util.spec_from_file_location(f'tool_{name}', REPO / 'tools' / f'{name}.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_demo_tool_writes_pngs(trained, tmp_path, capsys):
    data_root, checkpoint = trained
    demo = _tool('demo')
    val = Path(data_root, 'val')
    out_dir = tmp_path / 'demo'
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        assert demo.main([str(val), str(QUICKSTART), checkpoint, '--out-dir', str(out_dir), '--score-thr',
                          '0.01']) == 0
    assert not [w for w in caught if 'please provide the `save_dir` argument' in str(w.message)]
    out = capsys.readouterr().out
    assert 'Failed to search registry' not in out  # mmdet has no 'function' registry: mmvitdet adds its child
    lines = [line for line in out.splitlines() if line.startswith(str(out_dir))]
    images = sorted(val.glob('*.png'))
    assert [Path(line.split(':')[0]).name for line in lines] == [p.name for p in images]
    assert all(' detection' in line for line in lines)
    for image in images:
        assert mmcv.imread(str(out_dir / image.name)).shape == mmcv.imread(str(image)).shape


def test_demo_tool_bad_inputs_are_one_line(trained, tmp_path, capsys):
    from mmvitdet.utils.cli_errors import run_cli
    data_root, checkpoint = trained
    demo = _tool('demo')
    cases = {
        (str(tmp_path / 'nope.jpg'), str(QUICKSTART), checkpoint): "is neither an image file nor a folder",
        (str(Path(data_root, 'val')), str(QUICKSTART), str(tmp_path / 'no.pth')): 'no.pth does not exist',
        (str(Path(data_root, 'val')), str(tmp_path / 'no_cfg.py'), checkpoint): 'no_cfg.py does not exist',
    }
    for argv, expected in cases.items():
        with pytest.raises(SystemExit) as exit_info:
            run_cli(demo.main, list(argv))
        err = capsys.readouterr().err
        assert exit_info.value.code == 2 and err.count('\n') == 1 and err.startswith('error: '), err
        assert expected in err


def test_test_tool_show_dir_paints_the_test_set(trained, tmp_path):
    data_root, checkpoint = trained
    options = [f'{loader}.{key}' for loader in ('val_dataloader', 'test_dataloader')
               for key in ('num_workers=0', 'persistent_workers=False')]
    options += [f'test_dataloader.dataset.data_root={data_root}/',
                f'test_evaluator.ann_file={data_root}/annotations/instances_val.json',
                'test_dataloader.dataset.generate.num_train=8', 'test_dataloader.dataset.generate.num_val=4']
    _tool('test').main([str(QUICKSTART), checkpoint, '--work-dir', str(tmp_path), '--show-dir', 'vis',
                        '--cfg-options', *options])
    painted = sorted(p.name for p in tmp_path.glob('*/vis/*.png'))
    assert painted == sorted(p.name for p in Path(data_root, 'val').glob('*.png'))


def _test_options(data_root):
    options = [f'{loader}.{key}' for loader in ('val_dataloader', 'test_dataloader')
               for key in ('num_workers=0', 'persistent_workers=False')]
    return options + [f'test_dataloader.dataset.data_root={data_root}/',
                      f'test_evaluator.ann_file={data_root}/annotations/instances_val.json',
                      'test_dataloader.dataset.generate.num_train=8', 'test_dataloader.dataset.generate.num_val=4']


FIVE_CLASSES = ['model.roi_head.bbox_head.num_classes=5', 'model.roi_head.mask_head.num_classes=5']


def test_test_and_demo_refuse_a_checkpoint_of_other_classes(trained, tmp_path, capsys):
    """A 3-class checkpoint with a 5-class config: one error line, exit 2, nothing evaluated or drawn."""
    from mmvitdet.utils.cli_errors import run_cli
    data_root, checkpoint = trained
    five = tmp_path / 'five_classes.py'
    five.write_text(f"_base_ = '{QUICKSTART}'\nmodel = dict(roi_head=dict(bbox_head=dict(num_classes=5), "
                    "mask_head=dict(num_classes=5)))\n")
    runs = {'test': [str(QUICKSTART), checkpoint, '--work-dir', str(tmp_path / 'w'), '--cfg-options',
                     *_test_options(data_root), *FIVE_CLASSES],
            'demo': [str(Path(data_root, 'val')), str(five), checkpoint, '--out-dir', str(tmp_path / 'demo')]}
    for tool, argv in runs.items():
        with pytest.raises(SystemExit) as exit_info:
            run_cli(_tool(tool).main, argv)
        err = capsys.readouterr().err
        assert exit_info.value.code == 2 and err.startswith('error: checkpoint ') and err.count('error:') == 1, err
        assert 'checkpoint has 3 classes, config 5' in err and 'roi_head.bbox_head.fc_cls.weight' in err
        assert '--allow-partial' in err
    assert not list((tmp_path / 'w').glob('*/*.json')) and not (tmp_path / 'demo').exists()


def test_allow_partial_loads_what_fits_and_names_what_stays_random(trained):
    import torch
    from mmdet.registry import MODELS
    from mmvitdet.engine.detector_checkpoint import load_detector_checkpoint
    data_root, checkpoint = trained
    cfg = Config.fromfile(str(QUICKSTART))
    cfg.model.roi_head.bbox_head.num_classes = 5
    cfg.model.roi_head.mask_head.num_classes = 5
    with DefaultScope.overwrite_default_scope('mmdet'):
        model = MODELS.build(cfg.model)
    lines = []
    load_detector_checkpoint(model, checkpoint, allow_partial=True, log=lines.append)
    saved = torch.load(checkpoint, map_location='cpu')['state_dict']
    assert torch.equal(model.state_dict()['backbone.patch_embed.proj.weight'],
                       saved['backbone.patch_embed.proj.weight'])
    assert len(lines) == 1 and 'stay at their initial (random) values' in lines[0]
    assert 'roi_head.bbox_head.fc_cls.weight' in lines[0] and 'roi_head.mask_head.conv_logits.weight' in lines[0]


def test_test_tool_special_and_missing_checkpoints_are_one_line(tmp_path, capsys):
    from mmvitdet.utils.cli_errors import run_cli
    fifo = tmp_path / 'fifo.pth'
    os.mkfifo(fifo)
    zero = tmp_path / 'zero.pth'
    zero.symlink_to('/dev/zero')
    cases = {str(tmp_path / 'none.pth'): 'none.pth does not exist', str(fifo): 'is not a regular file but a FIFO',
             str(zero): 'is not a regular file but a character device', str(tmp_path): 'is not a regular file but a '
             'directory'}
    for path, expected in cases.items():
        with pytest.raises(SystemExit) as exit_info:
            run_cli(_tool('test').main, [str(QUICKSTART), path])
        err = capsys.readouterr().err
        assert exit_info.value.code == 2 and err.startswith('error: ') and expected in err, err
