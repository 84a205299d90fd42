"""Cascade R-CNN's RoI head with detectron2's balance between stages.

detectron2's ``CascadeROIHeads`` (the Cascade Mask R-CNN of ViTDet and of Battle of the Backbones) adds the stage
losses with weight 1 each and, in training, scales the gradient that flows from each stage's box head back into the
pooled RoI features by ``1 / num_stages``: the heads learn from their full loss while the features (FPN,
backbone) see the average of the stages. mmdet's ``CascadeRoIHead`` weights the losses instead
(``stage_loss_weights``, [1, 0.5, 0.25] in its configs), which scales the heads' updates too.
"""
from typing import Tuple

import torch
from mmdet.models.roi_heads import CascadeRoIHead
from mmdet.registry import MODELS
from torch import Tensor


class _ScaleGradient(torch.autograd.Function):

    @staticmethod
    def forward(ctx, x: Tensor, scale: float) -> Tensor:
        ctx.scale = scale
        return x.view_as(x)

    @staticmethod
    def backward(ctx, grad: Tensor):
        return grad * ctx.scale, None


def scale_gradient(x: Tensor, scale: float) -> Tensor:
    """``x`` unchanged in the forward pass; its gradient multiplied by ``scale`` in the backward pass."""
    return _ScaleGradient.apply(x, scale)


@MODELS.register_module()
class BalancedCascadeRoIHead(CascadeRoIHead):
    """mmdet's CascadeRoIHead with detectron2's stage balance (see the module doc); set
    ``stage_loss_weights=[1] * num_stages`` to match detectron2 exactly. Other arguments as CascadeRoIHead."""

    def _bbox_forward(self, stage: int, x: Tuple[Tensor], rois: Tensor) -> dict:
        """As CascadeRoIHead's, with the pooled [N, C, 7, 7] features' gradient scaled by 1 / num_stages."""
        extractor = self.bbox_roi_extractor[stage]
        bbox_feats = extractor(x[:extractor.num_inputs], rois)
        if self.training:
            bbox_feats = scale_gradient(bbox_feats, 1.0 / self.num_stages)
        cls_score, bbox_pred = self.bbox_head[stage](bbox_feats)
        return dict(cls_score=cls_score, bbox_pred=bbox_pred, bbox_feats=bbox_feats)
