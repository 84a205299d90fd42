"""tools/train.py, tools/test.py and tools/dist_train.sh on a tiny registered model (CPU)."""
import importlib.util
import pickle
from pathlib import Path

import pytest
import torch
from mmengine.config import Config

from mmvitdet.engine.launch_config import adapt_to_cpu, load_launch_config

REPO = Path(__file__).resolve().parents[1]

# A model with a SyncBN (as the paper's detector has), a dataset and a metric, registered in mmengine's registries.
TOY_MODULE = '''
import torch, torch.nn as nn
from mmcv.cnn import build_norm_layer
from mmengine.evaluator import BaseMetric
from mmengine.model import BaseModel
from mmengine.registry import DATASETS, METRICS, MODELS
from torch.utils.data import Dataset


@DATASETS.register_module(force=True)
class LaunchToyPairs(Dataset):
    def __len__(self):
        return 8

    def __getitem__(self, i):
        x = torch.randn(4, 1, 1, generator=torch.Generator().manual_seed(i))
        return dict(inputs=x, target=x.sum().reshape(1))


@MODELS.register_module(force=True)
class LaunchToyRegressor(BaseModel):
    def __init__(self, norm_cfg):
        super().__init__()
        self.conv = nn.Conv2d(4, 1, 1)
        self.norm = build_norm_layer(norm_cfg, 1)[1]

    def forward(self, inputs, target, mode='tensor'):
        out = self.norm(self.conv(inputs)).flatten(1)
        if mode == 'loss':
            return dict(loss=((out - target) ** 2).mean())
        if mode == 'predict':
            return [dict(pred=o, target=t) for o, t in zip(out, target)]
        return out


@METRICS.register_module(force=True)
class LaunchToyMSE(BaseMetric):
    def process(self, data_batch, data_samples):
        self.results += [float((s['pred'] - s['target']) ** 2) for s in data_samples]

    def compute_metrics(self, results):
        return dict(mse=sum(results) / len(results))
'''

TOY_CONFIG = '''
custom_imports = dict(imports=['launch_toy'], allow_failed_imports=False)
model = dict(type='LaunchToyRegressor', norm_cfg=dict(type='SyncBN', requires_grad=True))
_loader = dict(dataset=dict(type='LaunchToyPairs'), batch_size=2, num_workers=0,
               collate_fn=dict(type='default_collate'))
train_dataloader = dict(**_loader, sampler=dict(type='DefaultSampler', shuffle=True))
test_dataloader = dict(**_loader, sampler=dict(type='DefaultSampler', shuffle=False))
test_evaluator = dict(type='LaunchToyMSE')
test_cfg = dict(type='TestLoop')
optim_wrapper = dict(optimizer=dict(type='AdamW', lr=0.01))
param_scheduler = [dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=2)]
train_cfg = dict(by_epoch=False, max_iters=4)
default_hooks = dict(checkpoint=dict(type='CheckpointHook', interval=2, by_epoch=False),
                     logger=dict(type='LoggerHook', interval=1))
randomness = dict(seed=0)
default_scope = 'mmdet'  # as mmdet configs; the Runner makes it the process-wide default scope
'''


def _load_tool(name):
    spec = importlib.util.spec_from_file_location(f'mmvitdet_tool_{name}', REPO / 'tools' / f'{name}.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def toy_config(tmp_path, monkeypatch):
    (tmp_path / 'launch_toy.py').write_text(TOY_MODULE)
    config = tmp_path / 'toy_launch_cfg.py'
    config.write_text(TOY_CONFIG)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.chdir(tmp_path)
    return config


def test_train_resume_and_test_tools(toy_config, tmp_path):
    train, test = _load_tool('train'), _load_tool('test')
    # default work_dir is work_dirs/<config stem>, relative to where the tool runs
    train.main([str(toy_config), '--cfg-options', 'train_cfg.max_iters=2'])
    work_dir = tmp_path / 'work_dirs' / 'toy_launch_cfg'
    assert (work_dir / 'iter_2.pth').is_file() and not (work_dir / 'iter_4.pth').exists()

    # --resume (latest checkpoint of the work dir) continues at iteration 2 under weights_only loading
    train.main([str(toy_config), '--resume'])
    resumed = torch.load(work_dir / 'iter_4.pth', map_location='cpu')
    assert resumed['meta']['iter'] == 4
    # the loss history restored from iter_2.pth goes on: 2 values from before the resume + 2 after
    assert len(resumed['message_hub']['log_scalars']['train/loss'].data[0]) == 4
    # the SyncBN of the config became a plain BN (no CUDA here)
    assert 'norm.running_mean' in resumed['state_dict']

    out = tmp_path / 'preds.pkl'
    test.main([str(toy_config), str(work_dir / 'iter_4.pth'), '--work-dir', str(tmp_path / 'test_dir'),
               '--out', str(out)])
    with open(out, 'rb') as f:
        predictions = pickle.load(f)
    assert len(predictions) == 8


def test_test_tool_rejects_missing_checkpoint(toy_config):
    from mmvitdet.engine.checkpoint_loading import CheckpointNotFoundError
    with pytest.raises(CheckpointNotFoundError, match='missing.pth does not exist'):  # run_cli: error line, exit 2
        _load_tool('test').main([str(toy_config), 'missing.pth'])


def test_missing_config_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match='nope_cfg.py'):
        load_launch_config(str(tmp_path / 'nope_cfg.py'))


def test_adapt_to_cpu_replaces_sync_bn_everywhere():
    cfg = Config(
        dict(
            norm_cfg=dict(type='SyncBN', requires_grad=True),
            model=dict(neck=dict(norm_cfg=dict(type='SyncBN')), heads=[dict(norm_cfg=dict(type='GN'))]),
            sync_bn='torch',
            launcher='pytorch'))
    adapt_to_cpu(cfg)
    assert cfg.norm_cfg == dict(type='BN', requires_grad=True)
    assert cfg.model.neck.norm_cfg.type == 'BN' and cfg.model.heads[0].norm_cfg.type == 'GN'
    assert cfg.sync_bn is None
    assert cfg.env_cfg.dist_cfg.backend == 'gloo'
    assert cfg.model_wrapper_cfg.device_ids is None


@pytest.mark.skipif(torch.cuda.is_available(), reason='the fp32 fallback is for machines without CUDA')
def test_train_tool_amp_without_cuda_trains_in_fp32(toy_config, tmp_path, monkeypatch):
    logged = []
    monkeypatch.setattr('mmvitdet.engine.launch_config.print_log', lambda msg, **kw: logged.append(msg))
    cfg = load_launch_config(str(toy_config), amp=True)
    assert cfg.optim_wrapper.type == 'OptimWrapper' and 'loss_scale' not in cfg.optim_wrapper
    assert [m for m in logged if 'AmpOptimWrapper -> OptimWrapper (fp32)' in m] == [
        'no CUDA: optim_wrapper: AmpOptimWrapper -> OptimWrapper (fp32); mixed precision (--amp, the paper '
        'configs) needs a GPU']
    # the tool itself trains instead of stopping at mmengine's "AmpOptimWrapper needs CUDA" assertion
    _load_tool('train').main([str(toy_config), '--amp', '--work-dir', str(tmp_path / 'amp'),
                              '--cfg-options', 'train_cfg.max_iters=1'])
    assert (tmp_path / 'amp' / 'iter_1.pth').is_file()


def test_dataloader_workers_fit_the_machine(tmp_path, capsys):
    from mmvitdet.engine.launch_config import available_cpus, load_launch_config
    config = REPO / 'configs/mae/mask-rcnn_vit-b-mae_fpn_lsj-100e_coco.py'  # 4 train / 2 val workers, as mmdet's
    cfg = load_launch_config(str(config), None, str(tmp_path / 'w'))
    cpus = available_cpus()
    assert cfg.train_dataloader.num_workers == min(4, cpus) and cfg.val_dataloader.num_workers == min(2, cpus)
    if cpus < 4:
        assert f'train_dataloader.num_workers 4 -> {cpus}' in capsys.readouterr().out
