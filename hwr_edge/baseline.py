"""Where each glyph sits on its line: whether it descends below its neighbours' baseline.

g and q (and p, y, j in a model with their own lower-case classes) always reach below the
baseline; a 9, P, Y or J sits on it. The classifier sees only the 28x28 crop, which has lost
that position, and reads a 9 as g. ``descends`` measures it from the segmentation's boxes.
The page's slope de-skews them: the median slope between the tops and between the bottoms
of neighbouring glyphs on every line (descenders tilt a few bottoms, b, d and h a few tops;
a page with fewer than ``MIN_SLOPES`` such pairs, a lone short word, is taken as level). A
glyph descends when its bottom is more than ``DESCENDER`` line heights below the baseline of
its ``NEIGHBOURS`` on either side (the lower quartile of their de-skewed bottoms, so that a
word of several g's still has a baseline).
"""

from __future__ import annotations

import statistics

import numpy as np

DESCENDER = 0.15  # a descender reaches this many line heights below the baseline
NEIGHBOURS = 3  # glyphs on each side that give a glyph its local baseline
MIN_SLOPES = 8  # fewer neighbour slopes than this (a lone short word): the page is level
MIN_NEIGHBOUR = 0.5  # neighbours shorter than this many line heights (dashes) do not count


def descends(lines: list) -> np.ndarray:
    """Per piece, in batch order (line, word, slot, piece): True when it descends below its
    neighbours' baseline, or when it has no neighbours to tell (a lone glyph)."""
    rows = [
        np.array([slot.glyph.box for word in words for slot in word], dtype=np.float64)
        for words in lines
    ]
    slope = _page_slope(rows)
    flags: list[bool] = []
    for words, boxes in zip(lines, rows, strict=True):
        slots = [slot for word in words for slot in word]
        line_h = statistics.median(boxes[:, 3].tolist())  # as np.median's, ~20x faster
        level = (boxes[:, 1] + boxes[:, 3] - slope * (boxes[:, 0] + boxes[:, 2] / 2)).tolist()
        tall = (boxes[:, 3] >= MIN_NEIGHBOUR * line_h).tolist()
        for j, slot in enumerate(slots):
            lo, hi = max(0, j - NEIGHBOURS), min(len(slots), j + NEIGHBOURS + 1)
            near = sorted(level[k] for k in range(lo, hi) if k != j and tall[k])
            for piece in slot.pieces:
                if not near:
                    flags.append(True)
                    continue
                x, y, w, h = piece.glyph.box
                baseline = near[(len(near) - 1) // 4] + slope * (x + w / 2)
                flags.append(y + h - baseline > DESCENDER * line_h)
    return np.array(flags, dtype=bool)


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
