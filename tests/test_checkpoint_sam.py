"""SAM's image encoder as an init: the segment-anything release layout and the Hugging Face SamModel folder, both
against transformers' SamVisionEncoder (an independent implementation) on a tiny random SAM written here."""
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from mmvitdet.checkpoints import CheckpointError, load_pretrained
from mmvitdet.models import ViT

transformers = pytest.importorskip('transformers')
REPO = Path(__file__).resolve().parents[1]
WIDTH, DEPTH, HEADS, IMG, PATCH, WINDOW, GLOBAL = 32, 4, 2, 64, 8, 3, (1, 3)


def tiny_sam(seed=0):
    """A random SamModel: ViT of 4 blocks (1 and 3 global), an 8x8 grid at 64 px, 3x3 windows (padded to 9x9)."""
    from transformers import SamConfig, SamModel
    torch.manual_seed(seed)
    cfg = SamConfig(vision_config=dict(hidden_size=WIDTH, output_channels=16, num_hidden_layers=DEPTH,
                                       num_attention_heads=HEADS, image_size=IMG, patch_size=PATCH,
                                       window_size=WINDOW, global_attn_indexes=list(GLOBAL)),
                    prompt_encoder_config=dict(hidden_size=16, image_size=IMG, patch_size=PATCH,
                                               mask_input_channels=4),
                    mask_decoder_config=dict(hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
                                             mlp_dim=32, iou_head_hidden_dim=16))
    model = SamModel(cfg).eval()
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():  # the tables and embeddings away from zero, so a mapping error shows
        for name, p in model.vision_encoder.named_parameters():
            p.add_(torch.randn(p.shape, generator=g) * 0.1)
    return model


def official_layout(hf_state):
    """segment-anything's key names (image_encoder.blocks.N.norm1, mlp.lin1, patch_embed.proj) for the same
    weights; prompt encoder and mask decoder kept under their own prefixes."""
    out = {}
    for key, value in hf_state.items():
        if key.startswith('vision_encoder.'):
            key = ('image_encoder.' + key[len('vision_encoder.'):]).replace('.layers.', '.blocks.')
            key = key.replace('layer_norm1', 'norm1').replace('layer_norm2', 'norm2')
            key = key.replace('patch_embed.projection', 'patch_embed.proj')
            if '.neck.' in key:
                key = key.replace('conv1', '0').replace('layer_norm1', '1').replace('conv2', '2')
        elif key.startswith('shared_image_embedding.'):
            continue  # not in the official file
        out[key] = value
    return out


def our_backbone(img_size=IMG, **kw):
    cfg = dict(arch=dict(embed_dims=WIDTH, num_layers=DEPTH, num_heads=HEADS), img_size=img_size,
               patch_size=PATCH, pretrain_img_size=IMG, window_size=WINDOW, global_attn_indices=GLOBAL,
               out_indices=tuple(range(DEPTH)), use_rel_pos_bias='decomposed', norm_eps=1e-6)
    cfg.update(kw)
    return ViT(**cfg).eval()


def assert_features_equal(sam, ours):
    x = torch.randn(2, 3, IMG, IMG, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        hidden = sam.vision_encoder(x, output_hidden_states=True).hidden_states[1:]
        got = ours(x)
    for h, g in zip(hidden, got):
        torch.testing.assert_close(g, h.permute(0, 3, 1, 2), atol=2e-5, rtol=1e-4)


def test_official_sam_file_loads_with_its_report(tmp_path):
    sam = tiny_sam()
    path = tmp_path / 'sam_vit_tiny.pth'
    torch.save(official_layout(sam.state_dict()), path)
    ours = our_backbone()
    report = load_pretrained(ours, str(path))
    assert report.format == 'sam'
    dropped = {k.split('.')[0] for k, _, _ in report.dropped}
    assert dropped == {'image_encoder', 'prompt_encoder', 'mask_decoder'}
    assert all('neck' in k for k, _, _ in report.dropped if k.startswith('image_encoder.'))
    assert not report.new and any(k == 'pos_embed' for k, *_ in report.resized)  # [1, 8, 8, C] -> [1, 64, C]
    assert_features_equal(sam, ours)


def test_hugging_face_sam_folder_loads(tmp_path):
    sam = tiny_sam(seed=2)
    sam.save_pretrained(tmp_path / 'sam-tiny')
    ours = our_backbone()
    report = load_pretrained(ours, str(tmp_path / 'sam-tiny'))
    assert report.format == 'sam'
    assert any(k.startswith('shared_image_embedding') for k, _, _ in report.dropped)
    assert_features_equal(sam, ours)


def test_tables_transfer_resized_linearly_at_a_larger_input(tmp_path):
    """At 96 px (grid 12) the global tables grow from 15 to 23 offsets at load, the window tables keep 5."""
    sam = tiny_sam()
    path = tmp_path / 'sam.pth'
    torch.save(official_layout(sam.state_dict()), path)
    ours = our_backbone(img_size=96)
    report = load_pretrained(ours, str(path))
    resized = {k: (src, dst) for k, src, dst, _ in report.resized}
    assert resized['blocks.1.attn.rel_pos.rel_pos_h'] == ((15, 16), (23, 16))
    assert 'blocks.0.attn.rel_pos.rel_pos_h' not in resized
    table = sam.vision_encoder.layers[1].attn.rel_pos_h.detach()
    expected = torch.nn.functional.interpolate(table.t()[None], size=23, mode='linear')[0].t()
    torch.testing.assert_close(ours.blocks[1].attn.rel_pos.rel_pos_h.detach(), expected)


def test_sam_file_into_a_config_without_decomposed_tables(tmp_path):
    path = tmp_path / 'sam_vit_b.pth'
    torch.save(official_layout(tiny_sam().state_dict()), path)
    with pytest.raises(CheckpointError) as e:
        load_pretrained(our_backbone(use_rel_pos_bias='shared'), str(path))
    msg = str(e.value)
    assert str(path) in msg and 'image_encoder.blocks.' in msg and "use_rel_pos_bias='decomposed'" in msg


def test_mask_decoder_only_file(tmp_path):
    state = {k: v for k, v in official_layout(tiny_sam().state_dict()).items()
             if k.startswith(('mask_decoder.', 'prompt_encoder.'))}
    path = tmp_path / 'sam_decoder.pth'
    torch.save(state, path)
    with pytest.raises(CheckpointError) as e:
        load_pretrained(our_backbone(), str(path))
    msg = str(e.value)
    assert str(path) in msg and 'mask_decoder.' in msg and 'image_encoder' in msg and 'sam_vit_b_01ec64.pth' in msg


def test_convert_vit_reads_the_layout_from_the_tables(tmp_path):
    """Without --config the converter infers decomposed tables, windows, global blocks and size from the file."""
    sam = tiny_sam()
    src, dst = tmp_path / 'sam.pth', tmp_path / 'sam_mmvitdet.pth'
    torch.save(official_layout(sam.state_dict()), src)
    proc = subprocess.run([sys.executable, str(REPO / 'tools' / 'model_converters' / 'convert_vit.py'), str(src),
                           str(dst)], capture_output=True, text=True, cwd=REPO)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert 'format: sam' in proc.stdout
    ours = our_backbone()
    report = load_pretrained(ours, str(dst))
    assert report.format == 'mmvitdet' and not report.new
    assert_features_equal(sam, ours)


def test_sam_config_states_its_block():
    """The SAM config's backbone, with only the size-related options overridden, loads the tiny SAM file."""
    from mmengine.config import Config
    cfg = Config.fromfile(str(REPO / 'configs/sam/mask-rcnn_vit-b-sam_fpn_lsj-100e_coco.py'))
    backbone = dict(cfg.model.backbone)
    assert backbone['use_rel_pos_bias'] == 'decomposed' and backbone['norm_eps'] == 1e-6
    assert backbone['global_attn_indices'] == (2, 5, 8, 11) and backbone['pretrain_img_size'] == 1024
    assert cfg.model.data_preprocessor.mean == [123.675, 116.28, 103.53]
    assert backbone['init_cfg']['checkpoint'].endswith('sam_vit_b_01ec64.pth')
