"""mmvitdet's input errors end a tool with one line on stderr and exit status 2; other errors keep
their traceback."""
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from mmdet.registry import DATASETS
from mmengine.logging import MMLogger
from mmengine.registry import DefaultScope

from mmvitdet.checkpoints import CheckpointError
from mmvitdet.datasets import DataNotFoundError
from mmvitdet.utils.cli_errors import EXIT_USER_ERROR, run_cli, user_error_message

REPO = Path(__file__).resolve().parents[1]


def _run(main, argv, capsys):
    with pytest.raises(SystemExit) as exit_info:
        run_cli(main, argv)
    return exit_info.value.code, capsys.readouterr().err


def test_user_error_is_one_line_with_status_2(capsys):
    def main():
        raise CheckpointError('ckpt.pth: checkpoint width is 1024 but the model has embed_dims=768: use ViT-B')
    code, err = _run(main, ['x'], capsys)
    assert code == EXIT_USER_ERROR
    assert err == 'error: ckpt.pth: checkpoint width is 1024 but the model has embed_dims=768: use ViT-B\n'


def test_message_through_a_registry_build(tmp_path):
    with DefaultScope.overwrite_default_scope('mmdet'), pytest.raises(DataNotFoundError) as e:
        DATASETS.build(dict(type='CheckedCocoDataset', data_root=str(tmp_path / 'nowhere'),
                            ann_file='a.json', data_prefix=dict(img='x/'), pipeline=[]))
    assert user_error_message(e.value).startswith(f"data root '{tmp_path / 'nowhere'}' not found")


def test_message_of_a_wrapping_reraise():
    """A registry that re-raises as type(e)(f'{context}: {e}') (mmcv 1.x's build_from_cfg)."""
    try:
        try:
            raise DataNotFoundError("data root 'x' not found: set data_root")
        except Exception as e:
            raise type(e)(f'CheckedCocoDataset: {e}')
    except DataNotFoundError as wrapped:
        assert user_error_message(wrapped) == "data root 'x' not found: set data_root"


def test_message_of_a_dataloader_worker_reraise():
    message = ("Caught DataNotFoundError in DataLoader worker process 0.\nOriginal Traceback (most recent "
               'call last):\n  File "x.py", line 1, in f\n    raise DataNotFoundError(\n'
               "mmvitdet.datasets.validation.DataNotFoundError: image 'a.png' not found: restore it\n")
    assert user_error_message(DataNotFoundError(message)) == "image 'a.png' not found: restore it"


def test_other_errors_keep_their_traceback():
    def main():
        raise KeyError('a bug')
    with pytest.raises(KeyError, match='a bug'):
        run_cli(main, [])


def test_debug_flag_keeps_the_traceback_and_is_removed_from_argv(monkeypatch):
    seen = []

    def main():
        seen.append(list(sys.argv[1:]))
        raise CheckpointError('bad file')
    monkeypatch.setattr(sys, 'argv', ['tool'])
    with pytest.raises(CheckpointError):
        run_cli(main, ['config.py', '--debug'])
    assert seen == [['config.py']]


def test_traceback_goes_to_the_log_file(tmp_path, capsys):
    log_file = tmp_path / 'run.log'
    logger = MMLogger.get_instance('cli_errors_test', log_file=str(log_file))

    def main():
        logger.info('started')
        raise CheckpointError('bad file')
    code, err = _run(main, [], capsys)
    assert code == EXIT_USER_ERROR
    assert err == f'error: bad file (traceback in {log_file})\n'
    for handler in logger.handlers:
        handler.flush()
    text = log_file.read_text()
    assert 'Traceback (most recent call last)' in text and 'CheckpointError: bad file' in text
    for handler in list(logger.handlers):
        if isinstance(handler, logging.FileHandler):
            handler.close()
            logger.removeHandler(handler)


def test_train_tool_missing_coco_folder(tmp_path):
    """The paper's MAE config with MMVITDET_DATA_ROOT pointing nowhere: one line, status 2."""
    missing = tmp_path / 'coco'
    env = dict(os.environ, MMVITDET_DATA_ROOT=f'{missing}/')
    result = subprocess.run(
        [sys.executable, str(REPO / 'tools/train.py'),
         str(REPO / 'configs/mae/mask-rcnn_vit-b-mae_fpn_lsj-100e_coco.py'), '--work-dir', str(tmp_path / 'work')],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == EXIT_USER_ERROR, result.stderr[-3000:]
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"error: data root '{missing}/' not found") and 'MMVITDET_DATA_ROOT' in lines[0]
    logs = list((tmp_path / 'work').glob('*/*.log'))
    assert len(logs) == 1 and f'traceback in {logs[0]}' in lines[0]
    assert 'DataNotFoundError' in logs[0].read_text()
