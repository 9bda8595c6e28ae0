"""Unsharp masks for blurred photos: out of focus (every direction) or shaken (along one).

``sharpened(image, ink)`` returns the photo with its text region sharpened, every way and,
for a shake, also along it, for the recognizer's further readings of a photo whose strokes
have soft edges (``InkImage.soft_edge``). The blur's direction comes from the text's
gradients: a shake smears the strokes along its direction, so the gradients along it grow
weak (the gradient structure tensor's smaller eigenvalue under ``SHAKE_RATIO`` of the larger
one, its eigenvector the direction). The detail finer than a Gaussian of ``SIGMA`` text heights,
along that direction only for a shake, is added ``AMOUNT`` times.
"""

from __future__ import annotations

import cv2
import numpy as np

AMOUNT = 1.5  # the detail finer than the blur below is added this many times ...
SIGMA = 0.06  # ... for a Gaussian of this part of the text height
SHAKE_RATIO = 0.45  # gradients along one direction under this part of those across: a shake


def sharpened(image: np.ndarray, ink) -> list[np.ndarray]:
    """Copies of ``image`` with an unsharp mask where ``ink`` (its ``InkImage``) found text, a
    text height around its glyphs: sharpened every way, and also along the shake when there
    is one (the two are read and the surer kept: a strong blur out of focus can look like a
    shake). The rest stays as it is: sharpened, the noise of an empty dark corner reads as
    letters."""
    height = ink.text_height * ink.scale
    x, y = (ink.boxes[:, :2] * ink.scale).min(axis=0) - height
    x1, y1 = ((ink.boxes[:, :2] + ink.boxes[:, 2:]) * ink.scale).max(axis=0) + height
    x, y = max(0, int(x)), max(0, int(y))
    x1, y1 = min(image.shape[1], int(np.ceil(x1))), min(image.shape[0], int(np.ceil(y1)))
    region = image[y:y1, x:x1]
    sigma = max(SIGMA * height, 0.5)
    smooths = [cv2.GaussianBlur(region, (0, 0), sigma)]
    angle = shake_direction(region)
    if angle is not None:
        smooths.append(cv2.filter2D(region, -1, line_kernel(angle, sigma)))
    copies = []
    for smooth in smooths:
        out = image.copy()
        out[y:y1, x:x1] = cv2.addWeighted(region, 1 + AMOUNT, smooth, -AMOUNT, 0)
        copies.append(out)
    return copies


def shake_direction(region: np.ndarray) -> float | None:
    """The direction (radians, x right and y down) along which the gradients of ``region``
    are weakest, when they are under ``SHAKE_RATIO`` of those across it (camera shake);
    else None (out of focus, or sharp)."""
    gray = region if region.ndim == 2 else cv2.cvtColor(region, cv2.COLOR_BGR2GRAY)
    gray = gray.astype(np.float32)
    gx = cv2.Sobel(gray, cv2.CV_32F, 1, 0)
    gy = cv2.Sobel(gray, cv2.CV_32F, 0, 1)
    xx, yy, xy = float((gx * gx).sum()), float((gy * gy).sum()), float((gx * gy).sum())
    (weak, strong), vectors = np.linalg.eigh(np.array([[xx, xy], [xy, yy]]))
    if strong <= 0 or weak >= SHAKE_RATIO * strong:
        return None
    return float(np.arctan2(vectors[1, 0], vectors[0, 0]))


def line_kernel(angle: float, sigma: float) -> np.ndarray:
    """A 1-D Gaussian of ``sigma`` pixels along ``angle`` (radians) as a square 2-D kernel
    summing to 1, its samples spread over the neighbouring pixels (bilinear)."""
    reach = int(np.ceil(3 * sigma))
    size = 2 * reach + 1
    kernel = np.zeros((size, size), np.float32)
    steps = np.arange(-3 * sigma, 3 * sigma + 0.25, 0.25)
    for t, weight in zip(steps, np.exp(-0.5 * (steps / sigma) ** 2), strict=True):
        px, py = reach + t * np.cos(angle), reach + t * np.sin(angle)
        x0, y0 = int(np.floor(px)), int(np.floor(py))
        fx, fy = px - x0, py - y0
        for dx, dy, w in (
            (0, 0, (1 - fx) * (1 - fy)),
            (1, 0, fx * (1 - fy)),
            (0, 1, (1 - fx) * fy),
            (1, 1, fx * fy),
        ):
            if 0 <= x0 + dx < size and 0 <= y0 + dy < size:
                kernel[y0 + dy, x0 + dx] += weight * w
    return kernel / kernel.sum()
