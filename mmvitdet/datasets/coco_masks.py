"""COCO segmentation / bbox / area of one instance from its visible mask."""
from typing import List, Tuple, Union

import cv2
import numpy as np
import pycocotools.mask as mask_utils

MASK_FORMATS = ('auto', 'polygon', 'rle')


def encode_rle(mask: np.ndarray) -> dict:
    """(H, W) bool -> compressed COCO RLE with ``counts`` as str (json-serializable)."""
    rle = mask_utils.encode(np.asfortranarray(mask.astype(np.uint8)))
    return dict(size=[int(s) for s in rle['size']], counts=rle['counts'].decode('ascii'))


def mask_to_polygons(mask: np.ndarray) -> List[List[float]]:
    """Outer boundaries of a (H, W) bool mask as COCO polygons; holes are filled (polygons cannot
    express them).

    Contours are traced on a 2x nearest-upsampled mask and mapped back, which puts the vertices
    0.25 px inside the pixel edges: pycocotools then rasterizes them to the original pixels
    (tracing at pixel centres would lose the right/bottom boundary row).
    """
    up = np.kron(mask.astype(np.uint8), np.ones((2, 2), np.uint8))
    contours, _ = cv2.findContours(up, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    polygons = []
    for contour in contours:
        contour = cv2.approxPolyDP(contour, 0.5, True).reshape(-1, 2)
        if len(contour) >= 3:
            polygons.append(((contour + 0.5) / 2).round(2).ravel().tolist())
    return polygons


def _segmentation_rle(segmentation: Union[list, dict], height: int, width: int) -> dict:
    if isinstance(segmentation, list):
        return mask_utils.merge(mask_utils.frPyObjects(segmentation, height, width))
    return dict(size=segmentation['size'], counts=segmentation['counts'].encode('ascii'))


def instance_geometry(polygon: np.ndarray, visible: np.ndarray, occluded: bool,
                      mask_format: str) -> Tuple[Union[list, dict], float, List[float]]:
    """COCO ``segmentation``, ``area`` and ``bbox`` [x, y, w, h] of one instance.

    Args:
        polygon: (N, 2) outline of the whole shape (exact segmentation when not occluded).
        visible: (H, W) bool visible region.
        occluded: whether part of the shape is hidden.
        mask_format: 'auto' = polygon when unoccluded, RLE of the visible region otherwise
            (both exact); 'rle' = always RLE; 'polygon' = always polygons (occluded regions are
            traced, holes filled: approximate, for pipelines that read polygons only).

    ``bbox`` is the visible region's box; ``area`` the pixel count of the segmentation as
    pycocotools decodes it.
    """
    if mask_format not in MASK_FORMATS:
        raise ValueError(f'mask_format={mask_format!r} is not one of {MASK_FORMATS}')
    height, width = visible.shape
    if not occluded and mask_format != 'rle':
        segmentation = [polygon.ravel().tolist()]
    elif mask_format == 'polygon':
        segmentation = mask_to_polygons(visible)
    else:
        segmentation = encode_rle(visible)
    area = float(mask_utils.area(_segmentation_rle(segmentation, height, width)))
    bbox = mask_utils.toBbox(mask_utils.encode(np.asfortranarray(visible.astype(np.uint8))))
    return segmentation, area, [float(v) for v in bbox]
