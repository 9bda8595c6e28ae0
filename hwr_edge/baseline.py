"""Where each glyph sits on its line: whether it descends below its neighbours' baseline, and
how tall it is against the line's tall letters (x-height or as tall as a capital).

g and q (and p, y, j in a model with their own lower-case classes) always reach below the
baseline; a 9, P, Y or J sits on it. The classifier sees only the 28x28 crop, which has lost
that position, and reads a 9 as g. ``positions`` measures it from the segmentation's boxes.
The page's slope de-skews them: the median slope between the tops and between the bottoms
of neighbouring glyphs on every line (descenders tilt a few bottoms, b, d and h a few tops;
a page with fewer than ``MIN_SLOPES`` such pairs, a lone short word, is taken as level). A
glyph descends when its bottom is more than ``DESCENDER`` line heights below the baseline of
its ``NEIGHBOURS`` on either side (the lower quartile of their de-skewed bottoms, so that a
word of several g's still has a baseline). Its rise, its height against the line's tall
letters', tells an x-height letter (c, o, s, ...: a case the classifier cannot tell, EMNIST
folding them into their capitals) from a capital. Both heights are taken less the pen's
width, which adds to every letter alike: a marker's x-height letters would otherwise rise
nearly as high as its capitals.
"""

from __future__ import annotations

import statistics

import numpy as np

DESCENDER = 0.15  # a descender reaches this many line heights below the baseline
NEIGHBOURS = 3  # glyphs on each side that give a glyph its local baseline
MIN_SLOPES = 8  # fewer neighbour slopes than this (a lone short word): the page is level
MIN_NEIGHBOUR = 0.5  # neighbours shorter than this many line heights (dashes) do not count
TALL = 2.0  # a line's tall letters are at most this many times as tall as its median glyph
TALL_BAND = 0.9  # ... and within this part of the tallest of them
LOW_LINE = 0.8  # a line whose tall glyphs are under this part of the page's has none


def positions(lines: list) -> tuple[np.ndarray, np.ndarray]:
    """Per piece, in batch order (line, word, slot, piece): whether it descends below its
    neighbours' baseline (True when it has no neighbours to tell, a lone glyph), and its
    rise: its height as a part of how tall its line's tall glyphs are (``_tallest``;
    x-height letters about 0.6, capitals and ascenders 1), or the page's, when the line's are
    under ``LOW_LINE`` of that (a line of x-height letters only, "up soon"). A lone glyph
    rises 1. The height, not the top's height above the baseline: a bent line's baseline is
    not straight, and the letters whose case the rise decides (c, o, s, ...) never
    descend."""
    rows = [
        np.array([slot.glyph.box for word in words for slot in word], dtype=np.float64)
        for words in lines
    ]
    slope = _page_slope(rows)
    pen = _pen([slot.glyph for words in lines for word in words for slot in word])
    tallest = [_tallest(boxes[:, 3].tolist()) for boxes in rows]
    page = statistics.median_high(tallest) if tallest else 0.0
    flags: list[bool] = []
    rises: list[float] = []
    for words, boxes, reference in zip(lines, rows, tallest, strict=True):
        line_h = statistics.median(boxes[:, 3].tolist())
        if reference < LOW_LINE * page:
            reference = page
        slots = [slot for word in words for slot in word]
        for slot, base in zip(slots, _bases(boxes, slope, line_h), strict=True):
            for piece in slot.pieces:
                x, y, w, h = piece.glyph.box
                lone = base is None
                flags.append(lone or y + h - (base + slope * (x + w / 2)) > DESCENDER * line_h)
                rises.append(1.0 if lone or reference <= pen else (h - pen) / (reference - pen))
    return np.array(flags, dtype=bool), np.array(rises, dtype=np.float64)


def _pen(glyphs: list) -> float:
    """The pen's width in original pixels: the shorter of the median run of ink along the
    rows and along the columns of all the glyphs (a stem's rows cross it, a bar's columns
    do); 0 when no glyph has ink. The glyphs' crops are laid side by side on one canvas, one
    empty column apart, so that one pass measures them all."""
    if not glyphs:
        return 0.0
    crops = [glyph.crop for glyph in glyphs]
    height = max(crop.shape[0] for crop in crops) + 2
    canvas = np.zeros((height, sum(crop.shape[1] + 1 for crop in crops) + 1), np.uint8)
    x = 1
    for crop in crops:
        h, w = crop.shape
        canvas[1 : h + 1, x : x + w] = crop
        x += w + 1
    ink = canvas > 0
    across, down = _runs(ink), _runs(ink.T)
    if not across.size or not down.size:
        return 0.0
    scale = glyphs[0].box[3] / crops[0].shape[0]  # original pixels per working pixel
    return min(_median(across), _median(down)) * scale


def _runs(ink: np.ndarray) -> np.ndarray:
    """The lengths of the runs of True along the rows of a boolean array whose border is
    False: each run starts and ends with a change, in that order."""
    changes = np.flatnonzero(ink[:, 1:] != ink[:, :-1])
    return changes[1::2] - changes[::2]


def _median(lengths: np.ndarray) -> float:
    """The (lower) median of small non-negative integers, from their counts: several times
    faster than np.median on a few thousand values."""
    counts = np.cumsum(np.bincount(lengths))
    return float(np.searchsorted(counts, (lengths.size + 1) // 2))


def _bases(boxes: np.ndarray, slope: float, line_h: float) -> list[float | None]:
    """Per glyph of a line (``boxes``, median height ``line_h``), its neighbours' de-skewed
    baseline: the lower quartile of their bottoms (None for a glyph without neighbours of
    letter height)."""
    level = (boxes[:, 1] + boxes[:, 3] - slope * (boxes[:, 0] + boxes[:, 2] / 2)).tolist()
    tall = (boxes[:, 3] >= MIN_NEIGHBOUR * line_h).tolist()
    bases = []
    for j in range(len(boxes)):
        lo, hi = max(0, j - NEIGHBOURS), min(len(boxes), j + NEIGHBOURS + 1)
        near = sorted(level[k] for k in range(lo, hi) if k != j and tall[k])
        bases.append(near[(len(near) - 1) // 4] if near else None)
    return bases


def _tallest(heights: list[float]) -> float:
    """How tall a line's tall glyphs are (0 for none), from their heights: the median of those
    within ``TALL_BAND`` of the tallest, itself at most ``TALL`` times the median height (a
    line of lower-case words may have a single capital or ascender; a taller glyph is no
    letter of the line). The median, not the tallest: capitals vary in height by a tenth or
    more."""
    limit = TALL * statistics.median(heights) if heights else 0.0
    top = max((h for h in heights if h <= limit), default=max(heights, default=0.0))
    band = [h for h in heights if TALL_BAND * top <= h <= top]
    return statistics.median(band) if band else top


def _page_slope(rows: list[np.ndarray]) -> float:
    """Median slope between the tops and between the bottoms of neighbouring glyphs on each
    line (0 when there are fewer than ``MIN_SLOPES``)."""
    slopes = []
    for boxes in rows:
        centre = boxes[:, 0] + boxes[:, 2] / 2
        dx = np.diff(centre)
        ok = dx > 0
        for edge in (boxes[:, 1], boxes[:, 1] + boxes[:, 3]):
            slopes.append(np.diff(edge)[ok] / dx[ok])
    slopes = np.concatenate(slopes) if slopes else np.zeros(0)
    return statistics.median(slopes.tolist()) if slopes.size >= MIN_SLOPES else 0.0
