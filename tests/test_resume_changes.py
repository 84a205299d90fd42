"""``--resume`` with a changed config: refused with the keys listed (nothing written), or applied for real with
``--accept-changes`` (the lr reaches optimizer and schedule) and recorded; the schedule length may always change.
The checkpoint's config text is read without executing it."""
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from cli_options import shapes_data_options
from mmvitdet.analysis.runs import collect_run
from mmvitdet.engine.resume_changes import config_changes, literal_config

REPO = Path(__file__).resolve().parents[1]
CONFIG = REPO / 'configs/quickstart/mask-rcnn_vit-t-random_fpn_lsj-10e_shapes.py'


def train(work_dir: Path, data_root: Path, *extra: str, epochs: int = 1, lr: float = 1e-4):
    opts = [f'train_cfg.max_epochs={epochs}', 'train_cfg.val_interval=100', f'optim_wrapper.optimizer.lr={lr}',
            f'param_scheduler.1.end={epochs}', f'param_scheduler.1.T_max={epochs}',
            'default_hooks.logger.interval=1', 'default_hooks.checkpoint.interval=1', 'train_dataloader.batch_size=2']
    opts += shapes_data_options(data_root, num_train=6, num_val=2)
    return subprocess.run([sys.executable, str(REPO / 'tools/train.py'), str(CONFIG), '--work-dir', str(work_dir),
                           *extra, '--cfg-options', *opts], capture_output=True, text=True, cwd=REPO, timeout=600,
                          env=dict(os.environ))


def logged_lrs(stdout: str):
    return [float(v) for v in re.findall(r'Epoch\(train\)\s+\[\d+\]\[\s*\d+/\d+\].*? lr: ([0-9.e+-]+)', stdout)]


@pytest.mark.slow
def test_a_changed_lr_is_refused_then_applied_and_recorded(tmp_path):
    """Two epochs of 3 iterations; then a resume from epoch 1 with the lr x 300: refused, then accepted, after which
    every logged lr is 300 x the one the straight run had at that iteration."""
    work_dir, data = tmp_path / 'run', tmp_path / 'shapes'
    straight = train(work_dir, data, epochs=2)
    assert straight.returncode == 0, straight.stderr[-2000:]
    launches = sorted(p.name for p in work_dir.iterdir() if p.is_dir())
    epoch_1 = str(work_dir / 'epoch_1.pth')

    refused = train(work_dir, data, '--resume', epoch_1, epochs=2, lr=3e-2)
    assert refused.returncode == 2, refused.stderr[-2000:]
    error = [line for line in refused.stderr.splitlines() if line.startswith('error:')]
    assert len(error) == 1 and 'optim_wrapper.optimizer.lr: 0.0001 -> 0.03' in error[0] and '--accept-changes' in error[0]
    assert sorted(p.name for p in work_dir.iterdir() if p.is_dir()) == launches  # nothing written

    accepted = train(work_dir, data, '--resume', epoch_1, '--accept-changes', epochs=2, lr=3e-2)
    assert accepted.returncode == 0, accepted.stderr[-2000:]
    expected = [lr * 300 for lr in logged_lrs(straight.stdout)[3:]]
    assert logged_lrs(accepted.stdout) == pytest.approx(expected, rel=1e-3)
    final = torch.load(work_dir / 'epoch_2.pth', map_location='cpu')
    assert final['optimizer']['param_groups'][0]['initial_lr'] == pytest.approx(3e-2)
    history = json.loads((work_dir / 'config_history.json').read_text())
    assert [(h['from_iteration'], h['changes']) for h in history] == [
        (1, {}), (4, {'optim_wrapper.optimizer.lr': [0.0001, 0.03]})]
    assert 'from iteration 4: optim_wrapper.optimizer.lr 0.0001 -> 0.03' in collect_run(str(work_dir)).notes

    # a longer schedule needs no flag, and the resumed cosine takes its new end (mmengine keeps the old one, so
    # the extra epoch would train at the old schedule's final lr, 0)
    longer = train(work_dir, data, '--resume', epochs=3, lr=3e-2)
    assert longer.returncode == 0, longer.stderr[-2000:]
    assert 'the lr schedule takes the new length (CosineAnnealingLR end 6 -> 9, CosineAnnealingLR T_max 6 -> 9' \
        in longer.stdout
    lrs = logged_lrs(longer.stdout)
    assert len(lrs) == 3 and lrs[0] > lrs[1] > lrs[2] > 0


def test_config_changes_ignore_bookkeeping_and_schedule_length():
    old = ("train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=10, val_interval=1)\n"
           "param_scheduler = [dict(type='LinearLR', end=250), dict(type='CosineAnnealingLR', T_max=10, end=10)]\n"
           "optim_wrapper = dict(optimizer=dict(type='AdamW', lr=1e-4, weight_decay=0.1))\n"
           "train_dataloader = dict(num_workers=4, dataset=dict(ann_file='a.json'))\n"
           "work_dir = 'x'\ncustom_hooks = [dict(type='DivergenceGuardHook')]\n")
    new = ("train_cfg = dict(type='ResumableEpochBasedTrainLoop', max_epochs=20, val_interval=2)\n"
           "param_scheduler = [dict(type='LinearLR', end=250), dict(type='CosineAnnealingLR', T_max=20, end=20)]\n"
           "optim_wrapper = dict(optimizer=dict(type='AdamW', lr=1e-4, weight_decay=0.05))\n"
           "train_dataloader = dict(num_workers=1, dataset=dict(ann_file='b.json'))\n"
           "work_dir = 'y'\ncustom_hooks = [dict(type='PreemptionCheckpointHook')]\n")
    assert config_changes(old, new) == {'optim_wrapper.optimizer.weight_decay': (0.1, 0.05),
                                        'train_dataloader.dataset.ann_file': ('a.json', 'b.json')}


def test_the_saved_config_text_is_never_executed(tmp_path):
    marker = tmp_path / 'ran'
    text = f"import os\nlr = os.system('touch {marker}')\nx = dict(a=-1, b=[1, (2, 3)], c=print)\n"
    assert literal_config(text) == {'lr': f"<os.system('touch {marker}')>", 'x': {'a': -1, 'b': [1, [2, 3]],
                                                                                  'c': '<print>'}}
    assert not marker.exists()


def test_rebasing_keeps_the_schedule_position_at_the_new_lr():
    """The saved groups (and mmengine's base_param_settings group) and the lr schedulers scale by new / old initial
    lr; other optimizer settings take the new values; a new schedule length reaches the schedulers."""
    from mmengine.optim import CosineAnnealingLR, LinearLR, OptimWrapper
    from mmvitdet.engine.resume_changes import _rebase_lr, _retime_schedulers

    def wrapper(lr, wd, end):
        params = [torch.nn.Parameter(torch.zeros(2)), torch.nn.Parameter(torch.zeros(2))]
        optimizer = torch.optim.AdamW([{'params': params[:1]}, {'params': params[1:], 'lr': lr / 10}], lr=lr,
                                      weight_decay=wd)
        wrapped = OptimWrapper(optimizer)
        schedulers = [LinearLR(wrapped, start_factor=0.1, by_epoch=False, begin=0, end=2),
                      CosineAnnealingLR(wrapped, T_max=end, by_epoch=False, begin=0, end=end)]
        return wrapped, schedulers

    old, old_schedulers = wrapper(1e-4, 0.1, 6)
    for _ in range(3):  # three iterations into the old schedule
        for scheduler in old_schedulers:
            scheduler.step()
    checkpoint = {'optimizer': old.state_dict(), 'param_schedulers': [s.state_dict() for s in old_schedulers]}
    position = [g['lr'] / g['initial_lr'] for g in old.param_groups]
    new, new_schedulers = wrapper(3e-2, 0.05, 9)
    assert _rebase_lr(checkpoint, new) == pytest.approx([300, 300, 300])  # two groups + base_param_settings
    assert _retime_schedulers(checkpoint, new_schedulers) == ['CosineAnnealingLR end 6 -> 9',
                                                              'CosineAnnealingLR T_max 6 -> 9']
    new.load_state_dict(checkpoint['optimizer'])
    for scheduler, state in zip(new_schedulers, checkpoint['param_schedulers']):
        scheduler.load_state_dict(state)
    assert [g['initial_lr'] for g in new.param_groups] == pytest.approx([3e-2, 3e-3, 3e-2])
    assert [g['lr'] / g['initial_lr'] for g in new.param_groups] == pytest.approx(position)
    assert all(g['weight_decay'] == 0.05 for g in new.optimizer.param_groups)
    assert new_schedulers[1].T_max == 9 and new_schedulers[1].base_values == pytest.approx([3e-2, 3e-3, 3e-2])
