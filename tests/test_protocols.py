"""Protocol and detector as axes: a frozen backbone and Cascade Mask R-CNN for every init and size, each a short
config that inherits the init's fine-tuning config (its facts stated once); Cascade as detectron2 ViTDet builds
it; run identity parses both; one training step at reduced size per family."""
import glob
import importlib.util
from pathlib import Path

import pytest
import torch
from mmengine.config import Config

from mmvitdet.analysis.run_identity import identify_run
from mmvitdet.models.roi_heads import ViTDetCascadeRoIHead, scale_gradient
from mmvitdet.utils.protocol_configs import FINE_TUNING, sibling_configs

from reduced_detector import build_reduced, one_object_batch, train_step

REPO = Path(__file__).resolve().parents[1]
CONFIGS = REPO / 'configs'
FINE_TUNED = sorted(p for p in CONFIGS.glob('*/mask-rcnn_vit-*_fpn_lsj-*e_coco.py')
                    if FINE_TUNING.match(p.name) and p.parent.name not in ('ablations', 'grids'))
# detectron2 projects/ViTDet/configs/COCO/cascade_mask_rcnn_vitdet_b_100ep.py, written out:
D2_STAGES = 3
D2_BOX_WEIGHTS = [(10, 10, 5, 5), (20, 20, 10, 10), (30, 30, 15, 15)]  # Box2BoxTransform per stage
D2_IOU = [0.5, 0.6, 0.7]  # Matcher thresholds, allow_low_quality_matches=False
D2_CONV_DIMS, D2_FC_DIMS = [256, 256, 256, 256], [1024]  # FastRCNNConvFCHead
D2_TEST_SCORE = 0.05


def _tool(name):
    spec = importlib.util.spec_from_file_location(name, REPO / 'tools' / 'misc' / f'{name}.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_init_and_size_has_all_protocols_and_detectors():
    assert len(FINE_TUNED) >= 33  # the paper's 5 inits x 2 sizes, the releases beyond it, your own ViT
    assert _tool('protocol_configs').main(['--check']) == 0  # written, and as the generator writes them
    for config in FINE_TUNED:
        size, init, epochs = (FINE_TUNING.match(config.name)[k] for k in ('size', 'init', 'epochs'))
        for name in (f'mask-rcnn_vit-{size}-{init}-frozen_fpn_lsj-36e_coco.py',
                     f'cascade-mask-rcnn_vit-{size}-{init}_fpn_lsj-{epochs}e_coco.py',
                     f'cascade-mask-rcnn_vit-{size}-{init}-frozen_fpn_lsj-36e_coco.py'):
            assert (config.parent / name).is_file(), name


@pytest.mark.parametrize('family', sorted({p.parent.name for p in FINE_TUNED}))
def test_full_cascade_siblings_parse(family, monkeypatch):
    """One fully fine-tuned Cascade config per family (the frozen ones are trained below; every sibling is one of
    three templates, checked against the generator above)."""
    monkeypatch.setenv('MMVITDET_CHECKPOINTS', '/ckpt')
    path = sorted(str(p) for p in (CONFIGS / family).glob('cascade-mask-rcnn_vit-*.py') if '-frozen_' not in p.name)[0]
    full = str(CONFIGS / family / Path(path).name[len('cascade-'):])
    cascade, fine_tuned = identify_run(Config.fromfile(path).to_dict(), path), identify_run(
        Config.fromfile(full).to_dict(), full)
    assert (cascade.protocol, cascade.detector) == ('full', 'cascade-mask-rcnn')
    assert (cascade.init, cascade.size, cascade.lr, cascade.wd, cascade.dp, cascade.schedule, cascade.variant) == (
        fine_tuned.init, fine_tuned.size, fine_tuned.lr, fine_tuned.wd, fine_tuned.dp, fine_tuned.schedule,
        fine_tuned.variant)


def test_siblings_restate_no_fact_of_the_init():
    for path, text in sibling_configs(str(CONFIGS)).items():
        code = '\n'.join(line for line in text.splitlines() if not line.startswith('#'))
        for fact in ('checkpoint', 'mean', 'std', 'format', 'arch', 'lr=', 'window'):
            assert fact not in code, (path, fact)


@pytest.mark.parametrize('init', ['mae', 'dinov3', 'sam'])
def test_frozen_configs(init, monkeypatch):
    monkeypatch.setenv('MMVITDET_CHECKPOINTS', '/ckpt')
    full = Config.fromfile(str(next(CONFIGS.glob(f'{init}/mask-rcnn_vit-b-{init}_fpn_lsj-*e_coco.py'))))
    frozen = Config.fromfile(str(CONFIGS / init / f'mask-rcnn_vit-b-{init}-frozen_fpn_lsj-36e_coco.py'))
    assert frozen.model.backbone.frozen_stages == 'all' and frozen.model.backbone.drop_path_rate == 0
    assert frozen.train_cfg.max_epochs == 36 and frozen.param_scheduler[1].T_max == 36  # BoB: 36 epochs
    assert frozen.optim_wrapper.optimizer.lr == 1e-4
    # everything else is the fine-tuning config's
    for key in ('init_cfg', 'use_rel_pos_bias', 'window_size', 'global_attn_indices', 'arch'):
        assert frozen.model.backbone.get(key) == full.model.backbone.get(key), key
    assert frozen.model.data_preprocessor == full.model.data_preprocessor
    ident = identify_run(frozen.to_dict(), 'x.py')
    assert (ident.init, ident.protocol, ident.detector, ident.setting) == (init, 'frozen', 'mask-rcnn', 'frozen')


def test_cascade_is_detectron2_vitdets(monkeypatch):
    monkeypatch.setenv('MMVITDET_CHECKPOINTS', '/ckpt')
    cfg = Config.fromfile(str(CONFIGS / 'mae/cascade-mask-rcnn_vit-b-mae_fpn_lsj-100e_coco.py'))
    head = cfg.model.roi_head
    assert head.type == 'ViTDetCascadeRoIHead' and head.num_stages == D2_STAGES
    assert head.stage_loss_weights == [1., 1., 1.]  # detectron2 sums the stage losses
    for stage, weights, iou in zip(head.bbox_head, D2_BOX_WEIGHTS, D2_IOU):
        assert stage.type == 'Shared4Conv1FCBBoxHead' and [stage.conv_out_channels] * 4 == D2_CONV_DIMS
        assert [stage.fc_out_channels] == D2_FC_DIMS and stage.reg_class_agnostic
        assert stage.bbox_coder.target_stds == pytest.approx([1 / w for w in weights])
        assert stage.loss_bbox.type == 'L1Loss' and stage.norm_cfg.type == 'SyncBN'
    rcnn = cfg.model.train_cfg.rcnn
    assert [s.assigner.pos_iou_thr for s in rcnn] == [s.assigner.neg_iou_thr for s in rcnn] == D2_IOU
    assert not any(s.assigner.match_low_quality for s in rcnn)
    assert cfg.model.test_cfg.rcnn.score_thr == D2_TEST_SCORE
    mask_rcnn = Config.fromfile(str(CONFIGS / 'mae/mask-rcnn_vit-b-mae_fpn_lsj-100e_coco.py'))
    assert head.mask_head == mask_rcnn.model.roi_head.mask_head  # mask head, extractors and backbone unchanged
    assert cfg.model.backbone == mask_rcnn.model.backbone
    ident = identify_run(cfg.to_dict(), 'x.py')
    assert (ident.protocol, ident.detector, ident.setting) == ('full', 'cascade-mask-rcnn', 'cascade')


def test_vitdet_cascade_scales_the_feature_gradient_by_the_stages():
    x = torch.randn(4, 3, requires_grad=True)
    scale_gradient(x, 1 / 3).sum().backward()
    assert torch.allclose(x.grad, torch.full_like(x, 1 / 3))
    from mmdet.models.roi_heads import CascadeRoIHead
    from mmengine.config import ConfigDict
    from mmengine.registry import DefaultScope
    with DefaultScope.overwrite_default_scope('mmdet'):
        cfg = Config.fromfile(str(CONFIGS / '_base_/detectors/cascade-mask-rcnn_4conv1fc-bn.py'))
        head_cfg = ConfigDict(cfg.cascade_roi_head, bbox_roi_extractor=dict(
            type='SingleRoIExtractor', roi_layer=dict(type='RoIAlign', output_size=7, sampling_ratio=0),
            out_channels=256, featmap_strides=[4]))
        for h in head_cfg.bbox_head:
            h.norm_cfg = dict(type='BN')
        grads = {}
        for cls in (ViTDetCascadeRoIHead, CascadeRoIHead):
            torch.manual_seed(0)
            head = cls(**{k: v for k, v in head_cfg.items() if k != 'type'})
            head.train()
            feats = torch.randn(1, 256, 16, 16, requires_grad=True)
            rois = torch.tensor([[0., 2., 2., 40., 40.], [0., 10., 5., 60., 50.]])
            out = head._bbox_forward(2, (feats,), rois)
            (out['cls_score'].sum() + out['bbox_pred'].sum()).backward()
            grads[cls] = feats.grad
    assert torch.allclose(grads[ViTDetCascadeRoIHead] * 3, grads[CascadeRoIHead], atol=1e-6)


FAMILIES = sorted({p.parent.name for p in FINE_TUNED})


@pytest.mark.parametrize('family', FAMILIES)
def test_one_training_step_frozen_cascade_at_reduced_size(family, monkeypatch):
    """The family's frozen Cascade config (both axes at once) at width 64: the backbone stays bit-identical,
    the three box heads and the neck train."""
    monkeypatch.setenv('MMVITDET_CHECKPOINTS', '/ckpt')
    path = sorted(glob.glob(str(CONFIGS / family / 'cascade-mask-rcnn_vit-*-frozen_fpn_lsj-36e_coco.py')))[0]
    cfg = Config.fromfile(path)
    model = build_reduced(cfg)
    backbone = {k: v.clone() for k, v in model.backbone.state_dict().items()}
    heads = [h.fc_cls.weight.detach().clone() for h in model.roi_head.bbox_head]
    losses = train_step(model, cfg)
    assert {f's{i}.loss_cls' for i in range(3)} | {'s0.loss_mask'} <= set(losses)
    assert 's1.loss_mask' not in losses and 's2.loss_mask' not in losses  # detectron2: one mask head, stage 0
    assert all(torch.isfinite(v).all() for v in losses.values())
    assert all(torch.equal(backbone[k], v) for k, v in model.backbone.state_dict().items())
    assert all(not torch.equal(before, h.fc_cls.weight) for before, h in zip(heads, model.roi_head.bbox_head))
    ident = identify_run(Config.fromfile(path).to_dict(), path)
    assert (ident.protocol, ident.detector, ident.schedule, ident.dp) == ('frozen', 'cascade-mask-rcnn', 36, 0)
    model.eval()
    model.roi_head.test_cfg.score_thr = 0.0
    with torch.no_grad():
        result = model.test_step(one_object_batch())[0].pred_instances
    assert result.masks.shape[1:] == (64, 64) and len(result.masks) == len(result.bboxes)
    calls = []  # the tensor forward (flop counting) runs the one mask head once, on the last stage's RoIs
    handle = model.roi_head.mask_head.register_forward_hook(lambda module, inputs, output: calls.append(output))
    batch = model.data_preprocessor(one_object_batch(), False)
    with torch.no_grad():
        outputs = model._forward(batch['inputs'], batch['data_samples'])
    handle.remove()
    assert len(calls) == 1 and outputs[-1][-1][0].shape[1:] == (model.roi_head.mask_head.num_classes, 28, 28)


def test_vitdet_cascade_has_detectron2s_parameter_count():
    """configs/vitdet's Cascade (LN heads) against detectron2's cascade_mask_rcnn_vitdet_b_100ep summed module by
    module: its Mask R-CNN with the one box head and class-specific predictor replaced by three box heads
    (4 conv + LN, fc 1024) and three class-agnostic predictors (81 scores, 4 deltas)."""
    from mmdet.registry import MODELS
    from mmengine.registry import init_default_scope

    from test_decomposed_rel_pos import conv, detectron2_vitdet_b_parameters, linear
    init_default_scope('mmdet')
    head_convs = 4 * (conv(256, 256, 3, False) + 2 * 256) + linear(256 * 49, 1024)
    mask_rcnn, class_slot = detectron2_vitdet_b_parameters()
    detectron2 = (mask_rcnn - (head_convs + linear(1024, 81) + linear(1024, 80 * 4))
                  + 3 * (head_convs + linear(1024, 81) + linear(1024, 4)))
    cfg = Config.fromfile(str(CONFIGS / 'vitdet/cascade-mask-rcnn_vit-b-mae_sfp_lsj-100e_coco.py'))
    cfg.model.backbone.init_cfg = None
    model = MODELS.build(cfg.model)
    assert all(h.norm_cfg['type'] == 'mmpretrain.LN2d' for h in model.roi_head.bbox_head)
    ours = {name: sum(p.numel() for p in getattr(model, name).parameters())
            for name in ('backbone', 'neck', 'rpn_head', 'roi_head')}
    # the only difference, as for Mask R-CNN: detectron2 stores pos_embed with the (unused) class-token slot
    assert sum(ours.values()) == detectron2 - class_slot == 141_160_222
