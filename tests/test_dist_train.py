"""tools/dist_train.sh with 2 CPU processes (gloo, BN) on the quickstart Mask R-CNN and shapes data."""
import json
import os
import re
import socket
import subprocess
from pathlib import Path

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope

from mmdet.registry import MODELS
from mmvitdet.engine import load_checkpoint_file
from mmvitdet.engine.launch_config import adapt_to_cpu

REPO = Path(__file__).resolve().parents[1]
QUICKSTART = REPO / 'configs' / 'quickstart' / 'mask-rcnn_vit-t-random_fpn_lsj-10e_shapes.py'


@pytest.fixture(autouse=True)
def mmdet_scope():
    """Build in mmdet's registry scope without leaving it as the default for other test files."""
    with DefaultScope.overwrite_default_scope('mmdet'):
        yield


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def tiny_shapes_options(root):
    """8 train / 4 val images generated into ``root``; 1 epoch of batch 2 per process."""
    opts = [f'{split}_dataloader.dataset.{key}' for split in ('train', 'val', 'test')
            for key in (f'data_root={root}/', 'generate.num_train=8', 'generate.num_val=4')]
    opts += [f'{ev}.ann_file={root}/annotations/instances_val.json' for ev in ('val_evaluator', 'test_evaluator')]
    opts += ['train_cfg.max_epochs=1', 'train_dataloader.batch_size=2', 'val_dataloader.batch_size=2',
             'default_hooks.logger.interval=1']
    opts += [f'{split}_dataloader.{k}' for split in ('train', 'val')
             for k in ('num_workers=0', 'persistent_workers=False')]
    return opts


@pytest.mark.skipif(torch.cuda.is_available(), reason='checks the CPU path (gloo backend, SyncBN -> BN)')
def test_dist_train_two_cpu_processes_quickstart(tmp_path):
    work_dir = tmp_path / 'wd'
    config = tmp_path / 'quickstart_bn_probe.py'  # the quickstart plus a hook writing each rank's BN statistics
    config.write_text(f"_base_ = '{QUICKSTART}'\n"
                      "custom_imports = dict(imports=['mmvitdet', 'dist_bn_probe'], allow_failed_imports=False)\n"
                      "custom_hooks = [dict(type='BNStatsProbeHook')]\n")
    cmd = ['bash', str(REPO / 'tools' / 'dist_train.sh'), str(config), '2', '--work-dir', str(work_dir),
           '--cfg-options', *tiny_shapes_options(tmp_path / 'shapes')]
    env = dict(os.environ, PORT=str(free_port()), NNODES='1', NODE_RANK='0', MASTER_ADDR='127.0.0.1',
               PYTHONPATH=os.pathsep.join([str(REPO / 'tests'), os.environ.get('PYTHONPATH', '')]))
    res = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=900)
    output = res.stdout + res.stderr
    assert res.returncode == 0, output[-4000:]  # torchrun exits 0 only when every rank did
    for rank in (0, 1):
        assert f'no CUDA: started the gloo process group (rank {rank} of 2)' in output
    assert 'no CUDA: SyncBN -> BN' in output
    log = next(work_dir.glob('*/*.log')).read_text()
    # 8 images, 2 per batch, shared by 2 ranks: 2 iterations per epoch (4 in one process)
    assert re.search(r'Epoch\(train\) \[1\]\[2/2\]', log), log[-3000:]
    assert 'coco/bbox_mAP' in log  # the distributed evaluation gathered and scored

    ckpt = load_checkpoint_file(str(work_dir / 'epoch_1.pth'), map_location='cpu')
    assert ckpt['meta']['epoch'] == 1
    # every rank validates with the BN statistics the checkpoint holds (averaged at the epoch end)
    assert 'BN statistics averaged over the processes' in output
    saved = {k: float(v.double().sum()) for k, v in ckpt['state_dict'].items() if 'running_' in k}
    ranks = [json.loads((work_dir / f'bn_stats_rank{r}.json').read_text()) for r in (0, 1)]
    assert saved and ranks[0].keys() == ranks[1].keys() == saved.keys()
    assert ranks[0] == ranks[1] == pytest.approx(saved, rel=1e-12)
    cfg = adapt_to_cpu(Config.fromfile(str(QUICKSTART)))
    model = MODELS.build(cfg.model)
    model.load_state_dict(ckpt['state_dict'], strict=True)
    assert torch.equal(model.backbone.pos_embed, ckpt['state_dict']['backbone.pos_embed'])
