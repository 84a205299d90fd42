"""Rendering of one synthetic "shapes" image: textured background, filled shapes, visible masks.

Shapes are polygons (a circle is a 48-gon) whose vertices are rounded to 0.01 px and rasterized
with pycocotools, so a polygon written to the COCO json decodes to exactly the pixels painted.
Later shapes occlude earlier ones; every instance's mask is its visible region.
"""
from dataclasses import dataclass
from typing import Callable, Dict, List, Sequence, Tuple

import cv2
import numpy as np
import pycocotools.mask as mask_utils

Rng = np.random.Generator


def regular_polygon(n: int, cx: float, cy: float, radius: float, angle: float) -> np.ndarray:
    """(n, 2) vertices (x, y) of a regular n-gon with circumradius ``radius`` px."""
    t = angle + 2 * np.pi * np.arange(n) / n
    return np.stack([cx + radius * np.cos(t), cy + radius * np.sin(t)], axis=1)


def _circle(cx, cy, r, angle, rng):
    return regular_polygon(48, cx, cy, r, 0.0)


def _square(cx, cy, r, angle, rng):
    return regular_polygon(4, cx, cy, r, angle)


def _triangle(cx, cy, r, angle, rng):
    return regular_polygon(3, cx, cy, r, angle)


def _rectangle(cx, cy, r, angle, rng):
    # Aspect ratio kept <= 0.6 so rectangles are not confused with squares.
    aspect = rng.uniform(0.35, 0.6)
    half_diag_angle = np.arctan(aspect)
    t = angle + np.array([half_diag_angle, np.pi - half_diag_angle,
                          np.pi + half_diag_angle, -half_diag_angle])
    return np.stack([cx + r * np.cos(t), cy + r * np.sin(t)], axis=1)


def _star(cx, cy, r, angle, rng):
    outer = regular_polygon(5, cx, cy, r, angle)
    inner = regular_polygon(5, cx, cy, 0.42 * r, angle + np.pi / 5)
    return np.stack([outer, inner], axis=1).reshape(10, 2)


# name -> f(cx, cy, circumradius, angle, rng) -> (N, 2) polygon inside the circle.
SHAPES: Dict[str, Callable[..., np.ndarray]] = dict(
    circle=_circle, square=_square, triangle=_triangle, rectangle=_rectangle, star=_star)


def rasterize_polygon(polygon: np.ndarray, height: int, width: int) -> np.ndarray:
    """(H, W) bool mask of a (N, 2) polygon, as pycocotools decodes it from a COCO json."""
    rle = mask_utils.frPyObjects([polygon.ravel().tolist()], height, width)[0]
    return mask_utils.decode(rle).astype(bool)


# ---------------------------------------------------------------- backgrounds (H, W, 3) float32

def _random_color(rng: Rng) -> np.ndarray:
    return rng.uniform(0, 255, size=3).astype(np.float32)


def _gradient(rng: Rng, size: int) -> np.ndarray:
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32) / max(size - 1, 1)
    theta = rng.uniform(0, 2 * np.pi)
    t = xx * np.cos(theta) + yy * np.sin(theta)
    t = (t - t.min()) / max(float(t.max() - t.min()), 1e-6)
    a, b = _random_color(rng), _random_color(rng)
    return a + t[..., None] * (b - a)


def _stripes(rng: Rng, size: int) -> np.ndarray:
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32)
    theta = rng.uniform(0, np.pi)
    t = (xx * np.cos(theta) + yy * np.sin(theta)) / rng.uniform(6, 24)
    weight = (np.floor(t) % 2) if rng.random() < 0.5 else 0.5 + 0.5 * np.sin(2 * np.pi * t)
    a, b = _random_color(rng), _random_color(rng)
    return a + weight[..., None].astype(np.float32) * (b - a)


def _checker(rng: Rng, size: int) -> np.ndarray:
    cell = int(rng.integers(8, 25))
    yy, xx = np.mgrid[0:size, 0:size]
    weight = ((xx // cell + yy // cell) % 2).astype(np.float32)
    a, b = _random_color(rng), _random_color(rng)
    return a + weight[..., None] * (b - a)


def _clouds(rng: Rng, size: int) -> np.ndarray:
    grid = int(rng.integers(3, 8))
    coarse = rng.uniform(0, 255, size=(grid, grid, 3)).astype(np.float32)
    return np.clip(cv2.resize(coarse, (size, size), interpolation=cv2.INTER_CUBIC), 0, 255)


BACKGROUNDS: Dict[str, Callable[[Rng, int], np.ndarray]] = dict(
    gradient=_gradient, stripes=_stripes, checker=_checker, clouds=_clouds)


# ---------------------------------------------------------------- one image

@dataclass
class DrawnInstance:
    """One annotated shape. ``visible`` is its (H, W) bool visible region."""
    label: int
    polygon: np.ndarray
    visible: np.ndarray
    occluded: bool


def _contrasting_color(rng: Rng, background_mean: np.ndarray,
                       min_distance: float = 80.0) -> np.ndarray:
    color = _random_color(rng)
    for _ in range(20):  # resample colours that would vanish into the background
        if np.linalg.norm(color - background_mean) >= min_distance:
            break
        color = _random_color(rng)
    return color


def render_image(rng: Rng, img_size: int, class_shapes: Sequence[str],
                 size_range: Tuple[float, float], instances_range: Tuple[int, int],
                 min_visible_fraction: float, min_visible_area: int
                 ) -> Tuple[np.ndarray, List[DrawnInstance]]:
    """Draw one image.

    Args:
        rng: the image's own generator (the only source of randomness).
        img_size: side of the square image, px.
        class_shapes: label i is drawn with ``SHAPES[class_shapes[i]]``.
        size_range: (min, max) diameter of the circle enclosing a shape, px.
        instances_range: (min, max) number of shapes drawn, inclusive.
        min_visible_fraction: an occluded shape with less than this fraction of its pixels
            visible is not annotated (it stays in the image as clutter).
        min_visible_area: likewise, minimum visible pixels.

    Returns:
        (H, W, 3) uint8 BGR image and the annotated instances, in drawing order.
    """
    background_name = list(BACKGROUNDS)[int(rng.integers(len(BACKGROUNDS)))]
    image = BACKGROUNDS[background_name](rng, img_size)
    background_mean = image.reshape(-1, 3).mean(0)

    drawn = []
    for _ in range(int(rng.integers(instances_range[0], instances_range[1] + 1))):
        label = int(rng.integers(len(class_shapes)))
        radius = rng.uniform(*size_range) / 2
        cx, cy = rng.uniform(radius, img_size - radius, size=2)
        angle = rng.uniform(0, 2 * np.pi)
        polygon = SHAPES[class_shapes[label]](cx, cy, radius, angle, rng).round(2)
        full = rasterize_polygon(polygon, img_size, img_size)
        image[full] = _contrasting_color(rng, background_mean)
        drawn.append((label, polygon, full))

    noise_sigma = rng.uniform(2, 12)
    image = image + rng.normal(0, noise_sigma, size=image.shape).astype(np.float32)
    image = np.clip(image, 0, 255).round().astype(np.uint8)

    instances = []
    covered = np.zeros((img_size, img_size), bool)  # union of shapes drawn later
    for label, polygon, full in reversed(drawn):
        visible = full & ~covered
        covered |= full
        full_area, visible_area = int(full.sum()), int(visible.sum())
        if visible_area < max(min_visible_area, min_visible_fraction * full_area):
            continue
        instances.append(DrawnInstance(label, polygon, visible, visible_area < full_area))
    return image, instances[::-1]
