"""Photo -> ink map: bright ink on black plus a clean binary mask, robust to real lighting.

Steps (``ink_map``):

1. darkness source: the minimum of B, G, R, so blue, purple and red ink are as dark as black;
2. working resolution: a preview at most ``PREVIEW_PX`` wide estimates the text height; small
   text in a large photo (12 MP) is re-read at a resolution where capitals are ~``TARGET_TEXT_PX``
   tall. ``InkImage.scale`` maps working pixels back to original ones;
3. background normalization: the paper's brightness is estimated by a morphological closing
   on a small copy (removes the strokes, keeps shadow edges) and divided out, which flattens
   gradients, vignetting, cast shadows and colour casts;
4. hysteresis threshold above the paper's own noise level;
5. ruled lines (long thin horizontal / vertical runs) are removed and the strokes they crossed
   bridged again;
6. table / desk areas (large dark regions at the frame) are masked, and components touching
   them, specks and huge blobs are dropped. Components touching the frame are kept.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

PREVIEW_PX = 1280  # longest side of the first, text-scale-estimating pass
TARGET_TEXT_PX = 36  # capital height wanted at working resolution when re-reading a photo
MIN_TEXT_PX = 20  # below this preview text height, a large photo is re-read at higher resolution
BG_CELLS = 120  # the background estimate's shorter side, in cells
MIN_LOW, MIN_HIGH = 28, 60  # hysteresis floors on the 0..255 darkness scale
TABLE_LEVEL = 0.35  # a background darker than this fraction of the paper's is not paper


@dataclass
class InkImage:
    """Working-resolution ink: ``ink`` (uint8, bright on black, 0 off the mask), ``mask``
    (uint8 0/1), ``scale`` (original pixels per working pixel) and ``text_height`` (median
    character height in working pixels, 0 when no text was found)."""

    ink: np.ndarray
    mask: np.ndarray
    scale: float
    text_height: float


def ink_map(bgr: np.ndarray) -> InkImage:
    """Ink map and mask of a BGR (or gray) uint8 photo; see the module docstring."""
    gray = _darkness_source(bgr)
    h, w = gray.shape
    factor = min(1.0, PREVIEW_PX / max(h, w))
    result = _ink_at(_resize(gray, factor), 1.0 / factor)
    if factor < 1.0 and 0 < result.text_height < MIN_TEXT_PX:
        factor = min(1.0, factor * TARGET_TEXT_PX / result.text_height)
        result = _ink_at(_resize(gray, factor), 1.0 / factor)
    return result


def _darkness_source(bgr: np.ndarray) -> np.ndarray:
    """Per-pixel minimum over the colour channels (gray input passes through)."""
    if bgr.ndim == 2:
        return bgr
    b, g, r = cv2.split(bgr[..., :3])
    return cv2.min(cv2.min(b, g), r)


def _resize(gray: np.ndarray, factor: float) -> np.ndarray:
    if factor >= 1.0:
        return gray
    h, w = gray.shape
    size = (max(1, round(w * factor)), max(1, round(h * factor)))
    return cv2.resize(gray, size, interpolation=cv2.INTER_AREA)


def _ink_at(gray: np.ndarray, scale: float) -> InkImage:
    """Steps 3-6 at one resolution."""
    background, table = _background(gray)
    darkness = 255 - cv2.divide(gray, background, scale=255)
    darkness[table] = 0
    mask = _hysteresis(darkness)
    page_rule = max(15, min(gray.shape) // 6)  # rules span the page: find them before text size
    mask = _remove_rules(mask, page_rule, max(5, min(gray.shape) // 60))
    text_h = _text_height(mask)
    if text_h == 0:
        return InkImage(np.zeros_like(gray), np.zeros_like(gray), scale, 0.0)
    mask = _remove_rules(mask, max(15, int(2.5 * text_h)), max(3, int(0.3 * text_h)))
    mask = _filter_components(mask, table, text_h)
    text_h = _text_height(mask) or text_h
    ink = cv2.bitwise_and(darkness, darkness, mask=mask)
    return InkImage(ink, mask, scale, float(text_h))


def _background(gray: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Paper brightness (same size as ``gray``, >= 1) and a bool mask of non-paper areas."""
    h, w = gray.shape
    cell = max(1, min(h, w) // BG_CELLS)
    small = cv2.resize(gray, (max(1, w // cell), max(1, h // cell)), interpolation=cv2.INTER_AREA)
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (5, 5))
    closed = cv2.morphologyEx(small, cv2.MORPH_CLOSE, kernel, borderType=cv2.BORDER_REPLICATE)
    closed = cv2.medianBlur(closed, 5)
    table_small = _table_region(closed)
    background = cv2.resize(closed, (w, h), interpolation=cv2.INTER_LINEAR)
    table = cv2.resize(table_small, (w, h), interpolation=cv2.INTER_NEAREST) > 0
    return np.maximum(background, 1), table


def _table_region(background: np.ndarray) -> np.ndarray:
    """Large dark regions touching the frame (desk, table, laptop), uint8 0/1, slightly grown."""
    paper_level = float(np.percentile(background, 90))
    dark = (background < TABLE_LEVEL * paper_level).astype(np.uint8)
    if not dark.any():
        return dark
    n, labels, stats, _ = cv2.connectedComponentsWithStats(dark, connectivity=4)
    h, w = dark.shape
    x, y, bw, bh, area = (stats[:, i] for i in range(5))
    at_frame = (x == 0) | (y == 0) | (x + bw == w) | (y + bh == h)
    keep = at_frame & (area >= 0.02 * h * w)
    keep[0] = False
    table = keep[labels].astype(np.uint8)
    return cv2.dilate(table, np.ones((3, 3), np.uint8))


def _hysteresis(darkness: np.ndarray) -> np.ndarray:
    """Ink mask (uint8 0/1): weak pixels connected to strong ones, above the paper's noise."""
    sample = darkness[::4, ::4]
    median = float(np.median(sample))
    spread = float(np.percentile(sample, 75)) - median
    low = max(MIN_LOW, median + 8 * spread + 6)
    high = max(MIN_HIGH, 2 * low)
    weak = (darkness > low).astype(np.uint8)
    n, labels = cv2.connectedComponents(weak, connectivity=8)
    strong_labels = np.bincount(labels[darkness > high], minlength=n) > 0
    strong_labels[0] = False
    return strong_labels[labels].astype(np.uint8)


def _text_height(mask: np.ndarray) -> float:
    """Median height of character-like components (0 when there are none)."""
    n, _, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    w, h, area = stats[1:, 2], stats[1:, 3], stats[1:, 4]
    ok = (h >= 6) & (w < 3 * h) & (h < 6 * np.maximum(w, 1)) & (area >= 12)
    if not ok.any():
        return 0.0
    return float(np.median(h[ok]))


def _remove_rules(mask: np.ndarray, length: int, thin: int) -> np.ndarray:
    """Remove horizontal/vertical runs at least ``length`` long and under ``thin`` thick, then
    re-bridge the strokes they crossed."""
    out = mask
    for horizontal in (True, False):
        run = (length, 1) if horizontal else (1, length)
        lines = cv2.morphologyEx(out, cv2.MORPH_OPEN, np.ones(run[::-1], np.uint8))
        if not lines.any():
            continue
        across = (1, thin) if horizontal else (thin, 1)  # a thick run is a stroke, not a rule
        thick = cv2.morphologyEx(lines, cv2.MORPH_OPEN, np.ones(across[::-1], np.uint8))
        lines = cv2.subtract(lines, thick)
        grow = (1, 3) if horizontal else (3, 1)
        lines = cv2.dilate(lines, np.ones(grow[::-1], np.uint8)) & out
        kept = cv2.subtract(out, lines)
        bridge = (1, thin + 4) if horizontal else (thin + 4, 1)
        bridged = cv2.morphologyEx(kept, cv2.MORPH_CLOSE, np.ones(bridge[::-1], np.uint8))
        out = kept | (bridged & lines)
    return out


def _filter_components(mask: np.ndarray, table: np.ndarray, text_h: float) -> np.ndarray:
    """Drop specks, huge blobs and components touching the table region."""
    n, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    w, h, area = stats[:, 2], stats[:, 3], stats[:, 4]
    speck = (area < max(4.0, 0.006 * text_h**2)) & (h < 0.3 * text_h) & (w < 0.3 * text_h)
    huge = (h > 4 * text_h) | (w > 15 * text_h)
    near_table = np.bincount(labels[table], minlength=n) > 0 if table.any() else np.zeros(n, bool)
    keep = ~(speck | huge | near_table)
    keep[0] = False
    return keep[labels].astype(np.uint8)
