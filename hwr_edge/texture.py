"""Writing or texture: marks of ink whose nearest neighbours lie in no direction in particular.

Writing runs along lines, so the nearest neighbour of most of its marks lies along its line;
a grid of letters or digits (a puzzle) or a dot grid's dots lie along rows and columns. The
grain of a board, gravel, a carpet or a dim sensor's noise threshold into marks whose nearest
neighbours lie in every direction alike. With theta the direction from each mark's centre to
its nearest neighbour's, ``order(k) = |mean(exp(i k theta))|`` is 1 for marks all along one
direction (k = 2) or one grid (k = 4), and about 0.9 / sqrt(n) for n marks in random
directions. A page of ``MIN_MARKS`` glyphs or more (pieces of one character merged) is
texture when both orders are under ``MAX_ORDER``. Measured on synthetic photos
(docs/results-accuracy.md, 2026-12-04): the 122 pages of writing with 100 or more glyphs
(dense notes, small writing, faint pencil broken into pieces, ruled and squared paper) at
0.22 or more, 0.55 or more with 200-300 glyphs; the marks of puzzle grids of letters and of
dot grids at 0.9 or more (four-fold); 20 of 21 textures with 200 or more glyphs at 0.10 or
less (a woven fabric's grid: 0.18); a chalkboard's grain, read before the board is read
inverted, 0.10.
"""

from __future__ import annotations

import numpy as np

MIN_MARKS = 200  # fewer glyphs are never texture: too few to tell (and they read fast)
MAX_ORDER = 0.15  # marks whose two- and four-fold order are both under this are texture
BLOCK = 512  # marks compared with all the others at a time


def is_texture(boxes: np.ndarray) -> bool:
    """Whether glyphs (``boxes``: x, y, w, h each) are texture, not writing."""
    if len(boxes) < MIN_MARKS:
        return False
    theta = _nearest_directions(boxes)
    return all(abs(np.exp(1j * k * theta).mean()) < MAX_ORDER for k in (2, 4))


def _nearest_directions(boxes: np.ndarray) -> np.ndarray:
    """Per mark, the direction (radians) from its box's centre to the nearest other centre."""
    step = nearest_steps((boxes[:, :2] + boxes[:, 2:4] / 2).astype(np.float32))
    return np.arctan2(step[:, 1], step[:, 0])


def nearest_steps(centres: np.ndarray, queries: np.ndarray | None = None) -> np.ndarray:
    """Per centre (x, y rows, float32), or per index of it in ``queries``, the step to the
    nearest other centre."""
    queries = np.arange(len(centres)) if queries is None else queries
    nearest = np.empty(len(queries), np.int64)
    for start in range(0, len(queries), BLOCK):
        own = queries[start : start + BLOCK]
        distances = ((centres[own][:, None, :] - centres[None, :, :]) ** 2).sum(axis=2)
        distances[np.arange(len(own)), own] = np.inf
        nearest[start : start + len(own)] = distances.argmin(axis=1)
    return centres[nearest] - centres[queries]
