"""A config's real detector at reduced size (ViT width 64, depth 4, 64 px, few RoIs) and one training step on CPU,
for tests that check a config trains without paying for its full size."""
import torch
from mmengine.registry import DefaultScope

from mmdet.registry import MODELS

RMS = 'rms_norm'


def reduce_detector(cfg) -> None:
    """Shrink ``cfg.model`` in place: the backbone keeps its block options, the heads their types."""
    bb = cfg.model.backbone
    swiglu = bb.get('ffn_type', 'mlp') == 'swiglu'
    bb.update(arch=dict(embed_dims=64, num_layers=4, num_heads=2 if bb.get('norm_type') == RMS else 4,
                        feedforward_channels=96 if swiglu else 256),
              img_size=64, window_size=2, global_attn_indices=(1, 3), out_indices=(0, 1, 2, 3), init_cfg=None,
              with_cp=False)
    cfg.model.data_preprocessor.pad_size_divisor = 64  # the LSJ configs pad every batch to 1024
    cfg.model.neck[0].in_channels = 64
    cfg.model.neck[1].in_channels = [64] * 4
    # 8 sampled RoIs instead of 512: the 4conv1fc box head and the mask head dominate a CPU step
    rcnn = cfg.model.train_cfg.rcnn
    for stage in (rcnn if isinstance(rcnn, list) else [rcnn]):
        stage.sampler.num = 8
    cfg.model.train_cfg.rpn.sampler.num = 32
    cfg.model.train_cfg.rpn_proposal.update(nms_pre=100, max_per_img=20)


def build_reduced(cfg):
    """The reduced detector of ``cfg`` (changed in place), built and initialized (seed 0)."""
    from mmvitdet.engine.launch_config import adapt_to_cpu
    reduce_detector(cfg)
    adapt_to_cpu(cfg)
    torch.manual_seed(0)
    with DefaultScope.overwrite_default_scope('mmdet'):
        model = MODELS.build(cfg.model)
    model.init_weights()
    return model


def one_object_batch():
    """A 64x64 image with one box and mask of class 3."""
    from mmdet.structures import DetDataSample
    from mmdet.structures.mask import BitmapMasks
    from mmengine.structures import InstanceData
    sample = DetDataSample(metainfo=dict(img_shape=(64, 64), ori_shape=(64, 64), pad_shape=(64, 64),
                                         scale_factor=(1., 1.), batch_input_shape=(64, 64)))
    masks = torch.zeros(1, 64, 64, dtype=torch.uint8)
    masks[0, 10:40, 15:45] = 1
    sample.gt_instances = InstanceData(bboxes=torch.tensor([[15., 10., 45., 40.]]), labels=torch.tensor([3]),
                                       masks=BitmapMasks(masks.numpy(), 64, 64))
    return dict(inputs=[torch.randint(0, 255, (3, 64, 64), dtype=torch.uint8)], data_samples=[sample])


def train_step(model, cfg) -> dict:
    """One optimizer step of ``model`` with the config's optimizer (plain OptimWrapper on CPU); the losses."""
    from mmengine.optim import build_optim_wrapper

    from test_configs import cpu_optim
    return model.train_step(one_object_batch(), build_optim_wrapper(model, cpu_optim(cfg)))
