"""Cascade R-CNN's RoI head as detectron2 builds it (``CascadeROIHeads``), the Cascade Mask R-CNN of ViTDet and
of Battle of the Backbones.

Two differences from mmdet's ``CascadeRoIHead`` (which follows the Cascade R-CNN paper's code):

- **Stage balance.** detectron2 adds the stage losses with weight 1 each and, in training, scales the gradient
  that flows from each stage's box head back into the pooled RoI features by ``1 / num_stages``: the heads learn
  from their full loss while the features (FPN, backbone) see the average of the stages. mmdet weights the losses
  instead (``stage_loss_weights``, [1, 0.5, 0.25] in its configs), which scales the heads' updates too.
- **One mask head.** detectron2 has a single mask head, trained on the foreground proposals sampled for the first
  stage and applied to the last stage's boxes at test time; mmdet builds one per stage, trains each on its
  stage's samples and averages their masks at test time (2 more mask heads: 5.3 M parameters for 80 classes).
"""
from typing import List, Tuple

import torch
from mmdet.models.roi_heads import CascadeRoIHead
from mmdet.models.task_modules.samplers import SamplingResult
from mmdet.models.utils import empty_instances
from mmdet.registry import MODELS
from mmdet.structures import SampleList
from mmdet.structures.bbox import bbox2roi
from mmdet.utils import InstanceList, MultiConfig
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
class ViTDetCascadeRoIHead(CascadeRoIHead):
    """mmdet's CascadeRoIHead with detectron2's stage balance and single mask head (see the module doc). Set
    ``stage_loss_weights=[1] * num_stages`` to match detectron2. ``mask_head`` / ``mask_roi_extractor``: one
    config each (not one per stage). Other arguments as CascadeRoIHead."""

    def init_mask_head(self, mask_roi_extractor: MultiConfig, mask_head: MultiConfig) -> None:
        self.mask_head = MODELS.build(mask_head)
        self.share_roi_extractor = mask_roi_extractor is None
        self.mask_roi_extractor = (self.bbox_roi_extractor[-1] if self.share_roi_extractor
                                   else MODELS.build(mask_roi_extractor))

    def _bbox_forward(self, stage: int, x: Tuple[Tensor], rois: Tensor) -> dict:
        """As CascadeRoIHead's, with the pooled [N, C, 7, 7] features' gradient scaled by 1 / num_stages."""
        extractor = self.bbox_roi_extractor[stage]
        bbox_feats = extractor(x[:extractor.num_inputs], rois)
        if self.training:
            bbox_feats = scale_gradient(bbox_feats, 1.0 / self.num_stages)
        cls_score, bbox_pred = self.bbox_head[stage](bbox_feats)
        return dict(cls_score=cls_score, bbox_pred=bbox_pred, bbox_feats=bbox_feats)

    def _mask_forward(self, stage: int, x: Tuple[Tensor], rois: Tensor) -> dict:
        """[N, 5] RoIs -> ``mask_preds`` [N, num_classes, 28, 28] from the one mask head (any stage)."""
        feats = self.mask_roi_extractor(x[:self.mask_roi_extractor.num_inputs], rois)
        return dict(mask_preds=self.mask_head(feats))

    def mask_loss(self, stage: int, x: Tuple[Tensor], sampling_results: List[SamplingResult],
                  batch_gt_instances: InstanceList) -> dict:
        """The mask loss on the first stage's foreground samples; no mask loss at the later stages."""
        if stage > 0:
            return dict(loss_mask={})
        mask_results = self._mask_forward(stage, x, bbox2roi([res.pos_priors for res in sampling_results]))
        mask_results.update(self.mask_head.loss_and_target(
            mask_preds=mask_results['mask_preds'], sampling_results=sampling_results,
            batch_gt_instances=batch_gt_instances, rcnn_train_cfg=self.train_cfg[stage]))
        return mask_results

    def forward(self, x: Tuple[Tensor], rpn_results_list: InstanceList, batch_data_samples: SampleList) -> tuple:
        """The tensors of every stage's box head, and the one mask head's [N_i, num_classes, 28, 28] sigmoid masks of
        the last stage's RoIs per image (flop counting, export); CascadeRoIHead's runs a mask head per stage."""
        batch_img_metas = [s.metainfo for s in batch_data_samples]
        proposals = [r.bboxes for r in rpn_results_list]
        per_image = tuple(len(p) for p in proposals)
        rois, cls_scores, bbox_preds = self._refine_roi(x, bbox2roi(proposals), batch_img_metas, per_image)
        results = (cls_scores, bbox_preds)
        if self.with_mask:
            mask_preds = self._mask_forward(self.num_stages - 1, x, torch.cat(rois))['mask_preds']
            results += ([m.sigmoid().detach() for m in mask_preds.split(per_image, 0)], )
        return results

    def predict_mask(self, x: Tuple[Tensor], batch_img_metas: List[dict], results_list: InstanceList,
                     rescale: bool = False) -> InstanceList:
        """Masks of the last stage's boxes from the one mask head (no average over stages)."""
        mask_rois = bbox2roi([res.bboxes for res in results_list])
        if mask_rois.shape[0] == 0:
            return empty_instances(batch_img_metas, mask_rois.device, task_type='mask',
                                   instance_results=results_list, mask_thr_binary=self.test_cfg.mask_thr_binary)
        mask_preds = self._mask_forward(self.num_stages - 1, x, mask_rois)['mask_preds']
        mask_preds = mask_preds.split([len(res) for res in results_list], 0)
        return self.mask_head.predict_by_feat(mask_preds=mask_preds, results_list=results_list,
                                              batch_img_metas=batch_img_metas, rcnn_test_cfg=self.test_cfg,
                                              rescale=rescale)
