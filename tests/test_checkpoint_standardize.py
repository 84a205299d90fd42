"""The paper's position standardization: abs + rel for every initialization."""
import pytest
import torch
from mmpretrain.models.utils import resize_pos_embed

from checkpoint_layouts import (BEIT_ROWS, our_vit, reference_beit,
                                reference_vit, timm_state, unilm_beit_state)
from mmvitdet.checkpoints import load_pretrained, resize_rel_pos_table

WINDOW = 'rel_pos_bias_window.relative_position_bias_table'
GLOBAL = 'rel_pos_bias_global.relative_position_bias_table'
BEIT_KW = dict(qkv_bias='qv', layer_scale_init_value=0.1)


def _fill(model, value):
    with torch.no_grad():
        for p in model.parameters():
            p.fill_(value)


@pytest.fixture
def timm_file(tmp_path):
    state = timm_state(reference_vit().state_dict())
    path = str(tmp_path / 'deit.pth')
    torch.save({'model': state}, path)
    return path, state


@pytest.fixture
def beit_file(tmp_path):
    state = unilm_beit_state(reference_beit(shared=True).state_dict())
    path = str(tmp_path / 'beit.pth')
    torch.save({'model': state}, path)
    return path, state


def test_non_beit_abs_transferred_rel_zero(timm_file):
    path, state = timm_file
    model = our_vit(img_size=320, use_rel_pos_bias='shared')
    _fill(model, 0.5)  # whatever the model held before must not survive
    report = load_pretrained(model, path)
    assert torch.equal(model.pos_embed, state['pos_embed'][:, 1:])
    for table in (model.rel_pos_bias_window, model.rel_pos_bias_global):
        assert not table.relative_position_bias_table.any()
    new = {k: why for k, _, why in report.new}
    assert set(new) == {WINDOW, GLOBAL}
    assert 'zero-init per the paper' in new[WINDOW]


def test_non_beit_rel_follows_model_zero_init_flag(timm_file):
    model = our_vit(use_rel_pos_bias='shared', rel_pos_zero_init=False)
    report = load_pretrained(model, timm_file[0])
    table = model.rel_pos_bias_window.relative_position_bias_table
    assert 0.01 < table.std().item() < 0.03
    assert 'rel_pos_zero_init=False' in report.new[0][2]


def test_abs_resized_to_model_pretrain_grid(timm_file):
    path, state = timm_file
    model = our_vit(pretrain_img_size=256, use_rel_pos_bias='shared')
    report = load_pretrained(model, path)
    expected = resize_pos_embed(state['pos_embed'][:, 1:], (14, 14), (16, 16),
                                mode='bicubic', num_extra_tokens=0)
    torch.testing.assert_close(model.pos_embed.data, expected)
    (key, src, dst, how), = report.resized
    assert (key, src, dst) == ('pos_embed', (1, 197, 64), (1, 256, 64))
    assert '14x14 -> 16x16' in how and 'class-token slot' in how


@pytest.mark.parametrize('method', ['geometric', 'bicubic'])
def test_beit_rel_transferred_abs_random(beit_file, method):
    path, state = beit_file
    model = our_vit(img_size=320, use_rel_pos_bias='shared', **BEIT_KW)
    _fill(model, 0.0)
    report = load_pretrained(model, path, rel_pos_resize=method)
    table = state['rel_pos_bias.relative_position_bias_table']
    assert table.shape[0] == BEIT_ROWS
    assert torch.equal(model.rel_pos_bias_window.relative_position_bias_table,
                       table[:-3])
    torch.testing.assert_close(
        model.rel_pos_bias_global.relative_position_bias_table.data,
        resize_rel_pos_table(table[:-3], (14, 14), (20, 20), method))
    assert model.rel_pos_bias_global.relative_position_bias_table.shape == (
        39 * 39, 4)
    # abs: BEiT has none, so it is freshly drawn (trunc-normal 0.02).
    assert 0.01 < model.pos_embed.std().item() < 0.03
    assert [k for k, _, _ in report.new] == ['pos_embed']
    # layer scale from the checkpoint, not the config's 0.1
    assert torch.equal(model.blocks[2].gamma_1, state['blocks.2.gamma_1'])
    how = {k: h for k, _, _, h in report.resized}
    assert '3 cls rows dropped' in how[WINDOW]
    assert f'14x14 -> 20x20 grid, {method}' in how[GLOBAL]


def test_beit_per_block_tables_resized_per_block_kind(tmp_path):
    state = unilm_beit_state(reference_beit(shared=False).state_dict())
    path = str(tmp_path / 'beit_ft.pth')
    torch.save({'model': state}, path)
    model = our_vit(img_size=320, use_rel_pos_bias='per_block', **BEIT_KW)
    load_pretrained(model, path)
    for i, blk in enumerate(model.blocks):
        src = state[f'blocks.{i}.attn.relative_position_bias_table'][:-3]
        got = blk.attn.rel_pos_bias.relative_position_bias_table.data
        if blk.is_global:
            torch.testing.assert_close(
                got, resize_rel_pos_table(src, (14, 14), (20, 20)))
        else:
            assert torch.equal(got, src)
