"""``mmcv._ext`` served by torchvision's compiled kernels (CPU, CUDA, MPS: wherever the tensors are).

Loaded under the name ``mmcv._ext`` by ``ext_finder`` when mmcv has no compiled ops (mmcv-lite).
Calls that reach mmcv's compiled functions in every config family (paper, ViTDet, ablations, own data,
quickstart, the mini study's mmpretrain pre-training configs), the test suite, DetInferencer and tools/demo.py
(recorded with ``MMVITDET_RECORD_MMCV_OPS=FILE``):

- ``nms``: ``mmcv.ops.nms`` / ``batched_nms`` (RPN proposals, box post-processing) -> ``torchvision::nms``.
  Same rule: boxes sorted by score, a box is dropped when its IoU with a kept one is > the threshold.
- ``roi_align_forward`` / ``roi_align_backward``: ``mmcv.ops.RoIAlign`` (the RoI extractors) and
  ``BitmapMasks.crop_and_resize`` (mask targets) -> ``torchvision::roi_align`` / ``_roi_align_backward``.
  Same bilinear sampling, adaptive sampling ratio and ``aligned`` half-pixel shift.
- ``get_compiler_version`` / ``get_compiling_cuda_version``: environment reports.

What torchvision cannot compute exactly raises instead of differing: ``nms`` with ``offset=1`` and RoIAlign
with ``pool_mode='max'``. Every other function of mmcv's extension raises on call with the fix.
"""
import os

import torch
import torchvision

MMVITDET_STAND_IN = True

FULL_OPS_FIX = 'bash tools/setup.sh --mmcv-ops full'
POOL_MODE_MAX = 0  # mmcv's RoIAlignFunction passes pool_mode 0 for 'max', 1 for 'avg'

# Every name mmcv 2.1.0's Python modules ask of ``mmcv._ext`` (``ext_loader.load_ext``); each must exist.
MMCV_EXT_FUNCTIONS = (
    'active_rotated_filter_backward', 'active_rotated_filter_forward', 'assign_score_withk_backward',
    'assign_score_withk_forward', 'ball_query_forward', 'bbox_overlaps', 'bezier_align_backward',
    'bezier_align_forward', 'bias_act', 'border_align_backward', 'border_align_forward', 'box_iou_quadri',
    'box_iou_rotated', 'carafe_backward', 'carafe_forward', 'carafe_naive_backward', 'carafe_naive_forward',
    'chamfer_distance_backward', 'chamfer_distance_forward', 'contour_expand', 'convex_giou', 'convex_iou',
    'correlation_backward', 'correlation_forward', 'deform_conv_backward_input', 'deform_conv_backward_parameters',
    'deform_conv_forward', 'deform_roi_pool_backward', 'deform_roi_pool_forward',
    'diff_iou_rotated_sort_vertices_forward', 'dynamic_point_to_voxel_backward', 'dynamic_point_to_voxel_forward',
    'dynamic_voxelize_forward', 'filtered_lrelu', 'filtered_lrelu_act_', 'furthest_point_sampling_forward',
    'furthest_point_sampling_with_dist_forward', 'fused_bias_leakyrelu', 'fused_indice_conv_forward',
    'gather_points_backward', 'gather_points_forward', 'get_compiler_version', 'get_compiling_cuda_version',
    'get_indice_pairs_2d_backward', 'get_indice_pairs_2d_forward', 'get_indice_pairs_3d_backward',
    'get_indice_pairs_3d_forward', 'get_indice_pairs_4d_forward', 'group_points_backward', 'group_points_forward',
    'hard_voxelize_forward', 'indice_conv_backward', 'indice_conv_forward', 'indice_maxpool_backward',
    'indice_maxpool_forward', 'iou3d_boxes_overlap_bev_forward', 'iou3d_nms3d_forward',
    'iou3d_nms3d_normal_forward', 'knn_forward', 'masked_col2im_forward', 'masked_im2col_forward',
    'min_area_polygons', 'modulated_deform_conv_backward', 'modulated_deform_conv_forward',
    'ms_deform_attn_backward', 'ms_deform_attn_forward', 'nms', 'nms_match', 'nms_quadri', 'nms_rotated',
    'pixel_group', 'points_in_boxes_all_forward', 'points_in_boxes_cpu_forward', 'points_in_boxes_part_forward',
    'points_in_polygons_forward', 'prroi_pool_backward', 'prroi_pool_coor_backward', 'prroi_pool_forward',
    'psamask_backward', 'psamask_forward', 'riroi_align_rotated_backward', 'riroi_align_rotated_forward',
    'roi_align_backward', 'roi_align_forward', 'roi_align_rotated_backward', 'roi_align_rotated_forward',
    'roi_pool_backward', 'roi_pool_forward', 'roiaware_pool3d_backward', 'roiaware_pool3d_forward',
    'roipoint_pool3d_forward', 'rotated_feature_align_backward', 'rotated_feature_align_forward',
    'sigmoid_focal_loss_backward', 'sigmoid_focal_loss_forward', 'softmax_focal_loss_backward',
    'softmax_focal_loss_forward', 'softnms', 'stack_ball_query_forward', 'stack_group_points_backward',
    'stack_group_points_forward', 'sync_bn_backward_data', 'sync_bn_backward_param', 'sync_bn_forward_mean',
    'sync_bn_forward_output', 'sync_bn_forward_var', 'three_interpolate_backward', 'three_interpolate_forward',
    'three_nn_forward', 'tin_shift_backward', 'tin_shift_forward', 'upfirdn2d')


class MmcvOpUnavailable(RuntimeError):
    """An mmcv op (or one of its modes) that needs mmcv's own compiled extension."""


def unavailable(name, detail=''):
    what = f'{name} ({detail})' if detail else name
    return MmcvOpUnavailable(f"mmcv op {what} is not available without mmcv's compiled ops: {FULL_OPS_FIX}")


_recorded = set()


def _record(name):
    """Append ``name`` to $MMVITDET_RECORD_MMCV_OPS once per process (to find the set the pipelines use)."""
    path = os.environ.get('MMVITDET_RECORD_MMCV_OPS')
    if path and name not in _recorded:
        _recorded.add(name)
        with open(path, 'a') as f:
            f.write(name + '\n')


def get_compiler_version():
    _record('get_compiler_version')
    return f'none (torchvision {torchvision.__version__} kernels through mmvitdet)'


def get_compiling_cuda_version():
    _record('get_compiling_cuda_version')
    return 'not available'


def nms(boxes, scores, iou_threshold, offset=0):
    """boxes [N, 4] (x1, y1, x2, y2), scores [N] -> kept indices [K] (int64) in descending score order."""
    _record('nms')
    if offset != 0:
        raise unavailable('nms', f'offset={offset}: torchvision measures boxes as x2 - x1')
    return torch.ops.torchvision.nms(boxes, scores, float(iou_threshold))


def roi_align_forward(input, rois, output, argmax_y, argmax_x, aligned_height, aligned_width, spatial_scale,
                      sampling_ratio, pool_mode, aligned):
    """input [N, C, H, W], rois [R, 5] (batch index, x1, y1, x2, y2) -> fills output [R, C, h, w] in place."""
    _record('roi_align_forward')
    if pool_mode == POOL_MODE_MAX:
        raise unavailable('roi_align', "pool_mode='max'")
    output.copy_(torch.ops.torchvision.roi_align(input, rois, float(spatial_scale), int(aligned_height),
                                                 int(aligned_width), int(sampling_ratio), bool(aligned)))


def roi_align_backward(grad_output, rois, argmax_y, argmax_x, grad_input, aligned_height, aligned_width,
                       spatial_scale, sampling_ratio, pool_mode, aligned):
    """grad_output [R, C, h, w] -> fills grad_input [N, C, H, W] (zeros on entry) in place."""
    _record('roi_align_backward')
    if pool_mode == POOL_MODE_MAX:
        raise unavailable('roi_align', "pool_mode='max'")
    n, c, h, w = grad_input.shape
    grad_input.copy_(torch.ops.torchvision._roi_align_backward(
        grad_output, rois, float(spatial_scale), int(aligned_height), int(aligned_width), n, c, h, w,
        int(sampling_ratio), bool(aligned)))


def _raising(name):
    def op(*args, **kwargs):
        _record(name)
        raise unavailable(name)
    op.__name__ = name
    return op


for _name in MMCV_EXT_FUNCTIONS:
    if _name not in globals():
        globals()[_name] = _raising(_name)
del _name
