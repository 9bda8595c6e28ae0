"""Where each glyph sits on its line: whether it descends below its neighbours' baseline, and
how high it rises above it (x-height or as tall as a capital).

g and q (and p, y, j in a model with their own lower-case classes) always reach below the
baseline; a 9, P, Y or J sits on it. The classifier sees only the 28x28 crop, which has lost
that position, and reads a 9 as g. ``descends`` measures it from the segmentation's boxes.
The page's slope de-skews them: the median slope between the tops and between the bottoms
of neighbouring glyphs on every line (descenders tilt a few bottoms, b, d and h a few tops;
a page with fewer than ``MIN_SLOPES`` such pairs, a lone short word, is taken as level). A
glyph descends when its bottom is more than ``DESCENDER`` line heights below the baseline of
its ``NEIGHBOURS`` on either side (the lower quartile of their de-skewed bottoms, so that a
word of several g's still has a baseline). Its rise, the height of its top above that
baseline against the line's tall letters', tells an x-height letter (c, o, s, ...: a case the
classifier cannot tell, EMNIST folding them into their capitals) from a capital.
"""

from __future__ import annotations

import statistics

import numpy as np

DESCENDER = 0.15  # a descender reaches this many line heights below the baseline
NEIGHBOURS = 3  # glyphs on each side that give a glyph its local baseline
MIN_SLOPES = 8  # fewer neighbour slopes than this (a lone short word): the page is level
MIN_NEIGHBOUR = 0.5  # neighbours shorter than this many line heights (dashes) do not count
TALL = 2.0  # a line's tall letters rise at most this many times as high as its median glyph
TALL_BAND = 0.9  # ... and they rise within this part of the highest of them
LOW_LINE = 0.8  # a line whose tallest rise less than this part of the page's has none


def descends(lines: list) -> np.ndarray:
    """Per piece, in batch order (line, word, slot, piece): True when it descends below its
    neighbours' baseline, or when it has no neighbours to tell (a lone glyph)."""
    return positions(lines)[0]


def positions(lines: list) -> tuple[np.ndarray, np.ndarray]:
    """Per piece, in batch order: whether it ``descends`` (above), and its rise: its height,
    or for one that descends the height of its top above the baseline (a descender's tail
    and a Q's do not count), as a part of how high its line's tall glyphs rise (``_tallest``;
    x-height letters rise about 0.6, capitals and ascenders 1), or the page's, when the
    line's rise less than ``LOW_LINE`` of that (a line of x-height letters only, "up soon").
    A lone glyph rises 1."""
    rows = [
        np.array([slot.glyph.box for word in words for slot in word], dtype=np.float64)
        for words in lines
    ]
    slope = _page_slope(rows)
    bases = [_bases(boxes, slope) for boxes in rows]
    tallest = []
    for boxes, line in zip(rows, bases, strict=True):
        line_h = statistics.median(boxes[:, 3].tolist())
        whole = [
            _rise(b, base, slope, line_h) for b, base in zip(boxes.tolist(), line, strict=True)
        ]
        tallest.append(_tallest([r for _, r in whole if r is not None]))
    page = statistics.median_high(tallest) if tallest else 0.0
    flags: list[bool] = []
    rises: list[float] = []
    for words, boxes, line, reference in zip(lines, rows, bases, tallest, strict=True):
        line_h = statistics.median(boxes[:, 3].tolist())
        if reference < LOW_LINE * page:
            reference = page
        slots = [slot for word in words for slot in word]
        for slot, base in zip(slots, line, strict=True):
            for piece in slot.pieces:
                down, rise = _rise(piece.glyph.box, base, slope, line_h)
                flags.append(down)
                rises.append(rise / reference if rise is not None and reference > 0 else 1.0)
    return np.array(flags, dtype=bool), np.array(rises, dtype=np.float64)


def _rise(box, base: float | None, slope: float, line_h: float) -> tuple[bool, float | None]:
    """Whether a glyph at ``box`` descends more than ``DESCENDER`` line heights below its
    neighbours' baseline ``base`` (a page at ``slope``), and how high it rises: its height,
    or the height of its top above the baseline when it descends. ``(True, None)`` without
    a baseline."""
    x, y, w, h = box
    if base is None:
        return True, None
    baseline = base + slope * (x + w / 2)
    down = y + h - baseline > DESCENDER * line_h
    return bool(down), float(baseline - y if down else h)


def _bases(boxes: np.ndarray, slope: float) -> list[float | None]:
    """Per glyph of a line (``boxes``), its neighbours' de-skewed baseline: the lower
    quartile of their bottoms (None for a glyph without neighbours of letter height)."""
    line_h = statistics.median(boxes[:, 3].tolist())
    level = (boxes[:, 1] + boxes[:, 3] - slope * (boxes[:, 0] + boxes[:, 2] / 2)).tolist()
    tall = (boxes[:, 3] >= MIN_NEIGHBOUR * line_h).tolist()
    bases = []
    for j in range(len(boxes)):
        lo, hi = max(0, j - NEIGHBOURS), min(len(boxes), j + NEIGHBOURS + 1)
        near = sorted(level[k] for k in range(lo, hi) if k != j and tall[k])
        bases.append(near[(len(near) - 1) // 4] if near else None)
    return bases


def _tallest(rises: list[float]) -> float:
    """How high a line's tall glyphs rise (0 for none): the median of the rises within
    ``TALL_BAND`` of the highest, itself at most ``TALL`` times the median rise (a line of
    lower-case words may have a single capital or ascender; a higher glyph is no letter of
    the line). The median, not the highest: capitals vary in height by a tenth or more."""
    limit = TALL * statistics.median(rises) if rises else 0.0
    top = max((r for r in rises if r <= limit), default=max(rises, default=0.0))
    band = [r for r in rises if TALL_BAND * top <= r <= top]
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
