"""Wrong files and mismatched configs fail loudly, naming the file and the fix."""
import pytest
import torch
import torchvision

from checkpoint_layouts import (C, our_vit, reference_beit, reference_vit,
                                timm_state, unilm_beit_state)
from mmvitdet.checkpoints import CheckpointError, load_pretrained
from mmvitdet.engine import CheckpointLoadError
from mmvitdet.models import ViT


def _save(obj, tmp_path, name='ckpt.pth'):
    path = str(tmp_path / name)
    torch.save(obj, path)
    return path


@pytest.fixture
def timm_file(tmp_path):
    state = timm_state(reference_vit().state_dict())
    return _save({'model': state}, tmp_path, 'deit.pth'), state


@pytest.fixture
def beit_file(tmp_path):
    state = unilm_beit_state(reference_beit(shared=False).state_dict())
    return _save({'model': state}, tmp_path, 'beit.pth'), state


def _timm_vit_b_release(path):
    """A ViT-B/16 in the timm/DeiT layout (zeros: only shapes matter here)."""
    with torch.device('meta'):
        vit_b = ViT(arch='base', img_size=224)
    state = {k: torch.zeros(v.shape, dtype=torch.float16)
             for k, v in vit_b.state_dict().items()}
    state['pos_embed'] = torch.zeros(1, 197, 768, dtype=torch.float16)
    state['cls_token'] = torch.zeros(1, 1, 768, dtype=torch.float16)
    state['head.weight'] = torch.zeros(1000, 768, dtype=torch.float16)
    torch.save({'model': state}, path)


def test_vit_b_checkpoint_into_vit_l_config(tmp_path):
    path = str(tmp_path / 'deit_base_patch16_224.pth')
    _timm_vit_b_release(path)
    with torch.device('meta'):  # shapes are all the check needs
        vit_l = ViT(arch='large', img_size=1024, use_rel_pos_bias='shared')
    with pytest.raises(CheckpointError) as err:
        load_pretrained(vit_l, path)
    msg = str(err.value)
    assert path in msg and 'width is 768' in msg and 'embed_dims=1024' in msg
    assert 'ViT-B checkpoint for a ViT-L config' in msg


def test_truncated_file(tmp_path, timm_file):
    path, _ = timm_file
    data = open(path, 'rb').read()
    with open(path, 'wb') as f:
        f.write(data[:len(data) // 2])
    with pytest.raises(CheckpointLoadError, match=f'{path}.*truncated'):
        load_pretrained(our_vit(), path)


def test_not_a_checkpoint(tmp_path):
    path = str(tmp_path / 'notes.txt')
    with open(path, 'w') as f:
        f.write('lr: 1e-4\n')
    with pytest.raises(CheckpointLoadError,
                       match=f'{path}.*not a torch checkpoint'):
        load_pretrained(our_vit(), path)


def test_missing_file(tmp_path):
    path = str(tmp_path / 'absent.pth')
    with pytest.raises(FileNotFoundError, match=path):
        load_pretrained(our_vit(), path)


def test_resnet_checkpoint(tmp_path):
    path = _save(torchvision.models.resnet18(weights=None).state_dict(),
                 tmp_path, 'resnet18.pth')
    with pytest.raises(CheckpointError) as err:
        load_pretrained(our_vit(), path)
    msg = str(err.value)
    assert path in msg and 'not a ViT checkpoint' in msg
    assert 'CNN' in msg and 'conv1.weight' in msg


def test_tensor_file_without_dict(tmp_path):
    path = _save(torch.zeros(3), tmp_path)
    with pytest.raises(CheckpointError, match=f'{path}: holds a Tensor'):
        load_pretrained(our_vit(), path)


def test_depth_mismatch(timm_file):
    with pytest.raises(CheckpointError,
                       match='has 4 transformer blocks but the model has '
                       'num_layers=6'):
        load_pretrained(our_vit(arch=dict(embed_dims=C, num_layers=6,
                                          num_heads=4)), timm_file[0])


def test_heads_mismatch(beit_file):
    with pytest.raises(CheckpointError, match='4 heads but the model has '
                       'num_heads=8'):
        load_pretrained(
            our_vit(arch=dict(embed_dims=C, num_layers=4, num_heads=8),
                    use_rel_pos_bias='per_block', qkv_bias='qv',
                    layer_scale_init_value=0.1), beit_file[0])


def test_layer_scale_in_checkpoint_not_in_config(beit_file):
    with pytest.raises(CheckpointError) as err:
        load_pretrained(our_vit(use_rel_pos_bias='per_block', qkv_bias='qv'),
                        beit_file[0])
    msg = str(err.value)
    assert beit_file[0] in msg and 'gamma_1' in msg
    assert 'layer_scale_init_value=None' in msg


def test_layer_scale_in_config_not_in_checkpoint(timm_file):
    with pytest.raises(CheckpointError,
                       match='no layer scale.*layer_scale_init_value=None'):
        load_pretrained(our_vit(layer_scale_init_value=0.1), timm_file[0])


def test_qkv_bias_mismatch(beit_file):
    with pytest.raises(CheckpointError, match="separate q/v biases.*"
                       "qkv_bias=True: set qkv_bias='qv'"):
        load_pretrained(our_vit(use_rel_pos_bias='per_block',
                                layer_scale_init_value=0.1), beit_file[0])


def test_per_block_tables_into_shared_model_refused(beit_file):
    model = our_vit(use_rel_pos_bias='shared', qkv_bias='qv',
                    layer_scale_init_value=0.1)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    with pytest.raises(CheckpointError,
                       match="set use_rel_pos_bias='per_block'"):
        load_pretrained(model, beit_file[0])
    for key, value in model.state_dict().items():  # untouched on failure
        assert torch.equal(value, before[key]), key


def test_rel_tables_into_model_without_rel(beit_file):
    path, _ = beit_file
    kwargs = dict(qkv_bias='qv', layer_scale_init_value=0.1)
    with pytest.raises(CheckpointError,
                       match="use_rel_pos_bias=False: set use_rel_pos_bias="):
        load_pretrained(our_vit(**kwargs), path)
    tables = [f'blocks.{i}.attn.relative_position_bias_table'
              for i in range(4)]
    report = load_pretrained(our_vit(**kwargs), path, discard=tables)
    assert {k for k, _, why in report.dropped if 'discard' in why} == set(
        tables)


def test_abs_into_model_without_abs(timm_file):
    with pytest.raises(CheckpointError,
                       match=r"use_abs_pos_embed=False.*discard=\['pos_embed'"):
        load_pretrained(our_vit(use_abs_pos_embed=False), timm_file[0])
    load_pretrained(our_vit(use_abs_pos_embed=False), timm_file[0],
                    discard=['pos_embed'])


def test_unknown_key_refused(tmp_path, timm_file):
    _, state = timm_file
    state = dict(state, **{'blocks.0.attn.extra_scale': torch.ones(4)})
    path = _save({'model': state}, tmp_path, 'odd.pth')
    with pytest.raises(CheckpointError,
                       match=f"{path}.*blocks.0.attn.extra_scale"):
        load_pretrained(our_vit(), path)
    with pytest.raises(CheckpointError, match=r"discard=\['nope'\] matches no"):
        load_pretrained(our_vit(), path, discard=['nope'])
    load_pretrained(our_vit(), path, discard=['blocks.0.attn.extra_scale'])


def test_missing_block_key(tmp_path, timm_file):
    _, state = timm_file
    state = {k: v for k, v in state.items() if k != 'blocks.1.mlp.fc1.bias'}
    path = _save({'model': state}, tmp_path, 'partial.pth')
    with pytest.raises(CheckpointError,
                       match=f"{path}.*needs \\['blocks.1.mlp.fc1.bias'\\]"):
        load_pretrained(our_vit(), path)


def test_patch_size_mismatch(timm_file):
    with pytest.raises(CheckpointError, match='patch size is 16x16.*'
                       'patch_size=8: set patch_size=16'):
        load_pretrained(our_vit(patch_size=8), timm_file[0])
