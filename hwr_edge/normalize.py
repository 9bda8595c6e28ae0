"""Character crop -> model input: the dataset convention applied to any ink crop.

The runtime (photo crops) and the build stage's folder loader (user-collected crops)
both call :func:`normalize_crop`, so a model sees the same kind of image in both.

Steps: binarize the ink, crop to its bounding box, scale (aspect kept) so the longest side
is ``fit_box`` at 4x resolution, optionally bring the stroke width to ``stroke_px``, centre
by centre of mass ("mass", MNIST) or by box ("box", EMNIST), then area-average down to
``size`` x ``size`` for anti-aliased edges like the datasets'.
"""

from __future__ import annotations

import cv2
import numpy as np

from hwr_edge.convention import InputConvention

SUPERSAMPLE = 4  # the glyph is shaped at 4x resolution, then area-averaged down
INK_LEVEL = 0.4  # a pixel is ink when brighter than this fraction of the crop's robust maximum
MIN_INK = 8  # a crop whose brightest ink is below this grey level is empty


def ink_binary(ink: np.ndarray) -> np.ndarray:
    """Boolean ink mask of a bright-on-black crop (all False when the crop is empty)."""
    peak = float(np.percentile(ink, 99.5)) if ink.size else 0.0
    peak = max(peak, float(ink.max(initial=0)) * 0.5)
    if peak < MIN_INK:
        return np.zeros(ink.shape, dtype=bool)
    return ink >= peak * INK_LEVEL


def stroke_width(mask: np.ndarray) -> float:
    """Mean stroke width in pixels of a binary glyph: 2 * area / boundary length."""
    mask_u8 = mask.astype(np.uint8)
    area = int(mask_u8.sum())
    if area == 0:
        return 0.0
    inner = cv2.erode(mask_u8, np.ones((3, 3), np.uint8), borderType=cv2.BORDER_CONSTANT)
    boundary = area - int(inner.sum())
    return 2.0 * area / max(boundary, 1)


def _fit(mask: np.ndarray, longest: int) -> np.ndarray:
    """Crop ``mask`` to its bounding box and scale it (aspect kept) to ``longest`` pixels."""
    ys, xs = np.nonzero(mask)
    box = mask[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1].astype(np.float32)
    h, w = box.shape
    scale = longest / max(h, w)
    new_w, new_h = max(1, round(w * scale)), max(1, round(h * scale))
    interp = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    return cv2.resize(box, (new_w, new_h), interpolation=interp) >= 0.5


def _set_stroke(glyph: np.ndarray, target: float) -> np.ndarray:
    """Dilate or erode a binary glyph so its stroke width moves to ``target`` pixels."""
    current = stroke_width(glyph)
    delta = round(target - current)
    if delta == 0:
        return glyph
    if delta < 0:
        # never thin a stroke below a quarter of the target (or 2 px): it would break apart
        delta = -min(-delta, max(0, round(current - max(target / 4, 2))))
        if delta == 0:
            return glyph
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (abs(delta) + 1, abs(delta) + 1))
    glyph_u8 = glyph.astype(np.uint8)
    pad = abs(delta) + 1
    glyph_u8 = cv2.copyMakeBorder(glyph_u8, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=0)
    op = cv2.dilate if delta > 0 else cv2.erode
    out = op(glyph_u8, kernel, borderType=cv2.BORDER_CONSTANT) > 0
    return out if out.any() else glyph


def _place(glyph: np.ndarray, canvas_size: int, center: str) -> np.ndarray:
    """Paste ``glyph`` on a black canvas, centred by box or by centre of mass, kept inside."""
    canvas = np.zeros((canvas_size, canvas_size), dtype=np.float32)
    h, w = glyph.shape
    if center == "mass":
        ys, xs = np.nonzero(glyph)
        cy, cx = ys.mean() + 0.5, xs.mean() + 0.5
    else:
        cy, cx = h / 2, w / 2
    y0 = int(round(canvas_size / 2 - cy))
    x0 = int(round(canvas_size / 2 - cx))
    y0 = min(max(y0, 0), canvas_size - h)
    x0 = min(max(x0, 0), canvas_size - w)
    canvas[y0 : y0 + h, x0 : x0 + w] = glyph
    return canvas


def normalize_crop(ink: np.ndarray, convention: InputConvention) -> np.ndarray:
    """Bright-on-black 2-D uint8 crop of one character -> ``size`` x ``size`` uint8 model input."""
    ink = np.asarray(ink)
    if ink.ndim != 2:
        raise ValueError(f"normalize_crop expects a 2-D crop, got shape {ink.shape}")
    size = convention.size
    mask = ink_binary(ink)
    if not mask.any():
        return np.zeros((size, size), dtype=np.uint8)
    k = SUPERSAMPLE
    longest = min(convention.fit_box, size) * k
    glyph = _fit(mask, longest)
    if convention.stroke_px:
        glyph = _fit(_set_stroke(glyph, convention.stroke_px * k), longest)
    canvas = _place(glyph, size * k, convention.center)
    small = cv2.resize(canvas, (size, size), interpolation=cv2.INTER_AREA)
    return np.clip(small * 255.0 + 0.5, 0, 255).astype(np.uint8)
