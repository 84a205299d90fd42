"""Pure-torch references for the two mmcv ops Mask R-CNN runs, written from their definitions (no kernel reused).

RoIAlign (He et al., Mask R-CNN; mmcv / detectron2 semantics): each RoI is split into ``out_h x out_w`` bins; each
bin averages bilinear samples on a ``g_h x g_w`` grid (``sampling_ratio``, or ``ceil(roi_size / out_size)`` when
it is 0); with ``aligned`` the box is shifted by half a pixel; without it the RoI is at least 1 x 1. A sample
more than one pixel outside the map is 0; one within a pixel of the border is clamped to it.
NMS: greedy, by descending score (ties: lower index first); a box is dropped when its IoU with a kept box is greater
than the threshold.
"""
import math

import torch


def bilinear(feature: torch.Tensor, y: float, x: float) -> torch.Tensor:
    """feature [C, H, W] sampled at (y, x) -> [C]; differentiable in ``feature``."""
    _, height, width = feature.shape
    if y < -1.0 or y > height or x < -1.0 or x > width:
        return feature.new_zeros(feature.shape[0])
    y, x = max(y, 0.0), max(x, 0.0)
    y_low, x_low = int(y), int(x)
    if y_low >= height - 1:
        y_low = y_high = height - 1
        y = float(y_low)
    else:
        y_high = y_low + 1
    if x_low >= width - 1:
        x_low = x_high = width - 1
        x = float(x_low)
    else:
        x_high = x_low + 1
    ly, lx = y - y_low, x - x_low
    hy, hx = 1.0 - ly, 1.0 - lx
    return (hy * hx * feature[:, y_low, x_low] + hy * lx * feature[:, y_low, x_high]
            + ly * hx * feature[:, y_high, x_low] + ly * lx * feature[:, y_high, x_high])


def roi_align(feature: torch.Tensor, rois: torch.Tensor, out_size, spatial_scale: float, sampling_ratio: int,
              aligned: bool) -> torch.Tensor:
    """feature [N, C, H, W], rois [R, 5] (batch index, x1, y1, x2, y2) -> [R, C, out_h, out_w] (average pooling)."""
    out_h, out_w = out_size
    offset = 0.5 if aligned else 0.0
    rows = []
    for roi in rois.tolist():
        image = feature[int(roi[0])]
        x1, y1, x2, y2 = (v * spatial_scale - offset for v in roi[1:])
        roi_w, roi_h = x2 - x1, y2 - y1
        if not aligned:
            roi_w, roi_h = max(roi_w, 1.0), max(roi_h, 1.0)
        bin_h, bin_w = roi_h / out_h, roi_w / out_w
        grid_h = sampling_ratio if sampling_ratio > 0 else math.ceil(roi_h / out_h)
        grid_w = sampling_ratio if sampling_ratio > 0 else math.ceil(roi_w / out_w)
        count = max(grid_h * grid_w, 1)
        bins = []
        for ph in range(out_h):
            for pw in range(out_w):
                total = feature.new_zeros(feature.shape[1])
                for iy in range(grid_h):
                    y = y1 + ph * bin_h + (iy + 0.5) * bin_h / grid_h
                    for ix in range(grid_w):
                        x = x1 + pw * bin_w + (ix + 0.5) * bin_w / grid_w
                        total = total + bilinear(image, y, x)
                bins.append(total / count)
        rows.append(torch.stack(bins, dim=1).reshape(-1, out_h, out_w))
    if not rows:
        return feature.new_zeros(0, feature.shape[1], out_h, out_w)
    return torch.stack(rows)


def nms(boxes: torch.Tensor, scores: torch.Tensor, iou_threshold: float) -> torch.Tensor:
    """boxes [N, 4], scores [N] -> kept indices [K] by descending score, tied scores in index order."""
    order = scores.sort(descending=True, stable=True)[1].tolist()
    b = boxes.double().tolist()
    area = [(x2 - x1) * (y2 - y1) for x1, y1, x2, y2 in b]
    kept = []
    for i in order:
        suppressed = False
        for j in kept:
            w = max(0.0, min(b[i][2], b[j][2]) - max(b[i][0], b[j][0]))
            h = max(0.0, min(b[i][3], b[j][3]) - max(b[i][1], b[j][1]))
            union = area[i] + area[j] - w * h
            if union > 0 and w * h / union > iou_threshold:
                suppressed = True
                break
        if not suppressed:
            kept.append(i)
    return torch.tensor(kept, dtype=torch.long)
