"""Synthetic detection batches (random images, boxes and masks), the input of cost measurements.

Cost does not depend on what the pixels show, only on the input size and on how many
ground-truth instances the heads see; no dataset is needed.
"""
from typing import List, Tuple

import numpy as np
import torch
from mmdet.structures import DetDataSample
from mmdet.structures.mask import BitmapMasks
from mmengine.structures import InstanceData


def random_instances(num: int, height: int, width: int, num_classes: int,
                     rng: np.random.Generator) -> InstanceData:
    """``num`` random boxes (xyxy, sides 5-50% of the image) with filled-ellipse masks.

    Returns InstanceData with bboxes [num, 4] float32, labels [num] int64 and
    masks BitmapMasks [num, height, width].
    """
    sides = rng.uniform(0.05, 0.5, size=(num, 2)) * (width, height)
    x0 = rng.uniform(0, width - sides[:, 0])
    y0 = rng.uniform(0, height - sides[:, 1])
    boxes = np.stack([x0, y0, x0 + sides[:, 0], y0 + sides[:, 1]], axis=1)
    ys, xs = np.ogrid[:height, :width]
    masks = np.zeros((num, height, width), dtype=np.uint8)
    for i, (bx0, by0, bx1, by1) in enumerate(boxes):
        cx, cy, rx, ry = (bx0 + bx1) / 2, (by0 + by1) / 2, (bx1 - bx0) / 2, (by1 - by0) / 2
        masks[i] = ((xs - cx) / rx)**2 + ((ys - cy) / ry)**2 <= 1
    instances = InstanceData()
    instances.bboxes = torch.from_numpy(boxes.astype(np.float32))
    instances.labels = torch.from_numpy(rng.integers(0, num_classes, size=num))
    instances.masks = BitmapMasks(masks, height, width)
    return instances


def make_batch(batch_size: int, img_size: Tuple[int, int], num_gt: int, num_classes: int,
               seed: int = 0) -> dict:
    """A batch as mmdet's dataloader yields it after PackDetInputs.

    Returns dict(inputs=list of uint8 [3, H, W] tensors, data_samples=list of DetDataSample
    with gt_instances and the meta keys of mmdet's test pipeline).
    """
    height, width = img_size
    rng = np.random.default_rng(seed)
    inputs: List[torch.Tensor] = []
    samples: List[DetDataSample] = []
    for i in range(batch_size):
        inputs.append(torch.from_numpy(rng.integers(0, 256, size=(3, height, width), dtype=np.uint8)))
        sample = DetDataSample(metainfo=dict(
            img_id=i, img_path=f'synthetic_{i}.jpg', ori_shape=(height, width),
            img_shape=(height, width), scale_factor=(1.0, 1.0), flip=False, flip_direction=None))
        sample.gt_instances = random_instances(num_gt, height, width, num_classes, rng)
        samples.append(sample)
    return dict(inputs=inputs, data_samples=samples)


def clone_batch(batch: dict) -> dict:
    """A copy the data preprocessor may modify in place (it pads the GT masks)."""
    return dict(inputs=list(batch['inputs']),
                data_samples=[s.clone() for s in batch['data_samples']])
