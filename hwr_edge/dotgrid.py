"""Dot-grid paper: its printed dots, found as a lattice of specks and taken out, also where
they lie inside a letter's box or touch its strokes.

A bullet journal's page has a grey dot every 5 mm along both axes. Alone, each dot is a speck
and dropped (``preprocess._plausible``); but a dot inside a letter (an O's counter) is merged
into it as a piece, and one that touches a stroke is part of it: read as "?" or as another
character. Specks of one size (at most ``SPECK`` text heights, roundish) give the lattice:
the median step to a nearest neighbour that lies level, and to one that lies upright, then
fitted to the specks on it (``_fitted``). The page has a dot grid when ``ON_LATTICE`` of
``MIN_DOTS`` specks or more lie within ``TOLERANCE`` of a step of its points. Each point is
moved by the mean offset of the specks found near it (``REACH`` points either way: a photo's
perspective bends the lattice), and there the ink within the dots' radius that is no darker
than ``INK_ON_DOT`` times the dots' is taken out: a letter's stroke under a dot stays.
"""

from __future__ import annotations

import cv2
import numpy as np

from hwr_edge.texture import nearest_steps

MIN_DOTS = 24  # fewer specks are no dot grid
SPECK = 0.25  # a dot is at most this many text heights across ...
ROUND = 0.5  # ... and its box at least this part as wide as tall, and as tall as wide
PITCH = (0.3, 2.0)  # the lattice's steps are this many text heights long
SAMPLE = 400  # specks whose nearest neighbours give the lattice's steps, at most
ON_LATTICE = 0.6  # a dot grid has this part of its specks ...
TOLERANCE = 0.15  # ... within this part of a step of a lattice point
FIT_REACHES = (4, 12, np.inf)  # the lattice is fitted to the specks this many steps away
REACH = 2  # a point moves by the mean offset of the specks this many points around it
DOT_LEVEL = 75  # the dots' darkness: this percentile of the darkest pixels of MIN_DOTS of them
INK_ON_DOT = 1.1  # ink at a dot this many times darker than the dots' is a letter's stroke


def dots(labels: np.ndarray, stats: np.ndarray, darkness: np.ndarray, text_h: float):
    """uint8 0/1 mask of the pixels to take out of the ink (``labels``' components, ``stats``
    rows x, y, w, h, area) as a dot grid's dots, or None when the page has none."""
    w, h, area = stats[:, 2], stats[:, 3], stats[:, 4]
    side = np.maximum(w, h)
    speck = (side <= SPECK * text_h) & (np.minimum(w, h) >= ROUND * side) & (area >= 2)
    speck[0] = False
    ids = np.flatnonzero(speck)
    if ids.size < MIN_DOTS:
        return None
    centres = (stats[ids, :2] + stats[ids, 2:4] / 2).astype(np.float32)
    basis = _steps(centres, text_h)
    if basis is None:
        return None
    origin, basis = _fitted(centres, basis)
    cells = np.linalg.solve(basis, (centres - origin).T).T  # lattice coordinates
    index = np.round(cells)
    on = np.all(np.abs(cells - index) <= TOLERANCE, axis=1)
    if np.count_nonzero(on) < max(MIN_DOTS, ON_LATTICE * ids.size):
        return None
    offsets = centres[on] - (index[on] @ basis.T + origin)
    points, cells = _points(labels.shape, basis, origin)
    points += _bends(cells, index[on].astype(np.int64), offsets)
    radius = int(np.ceil(np.sqrt(np.median(area[ids[on]]) / np.pi) + 0.5))
    sample = [_darkest(labels, darkness, stats[i], i) for i in ids[on][:MIN_DOTS]]
    level = float(np.percentile(sample, DOT_LEVEL))
    disks = np.zeros(labels.shape, np.uint8)
    for x, y in np.round(points).astype(np.int64):
        cv2.circle(disks, (int(x), int(y)), radius, 1, -1)
    faint = (darkness <= INK_ON_DOT * level).view(np.uint8)
    return disks & faint & (labels > 0).view(np.uint8)


def _darkest(labels: np.ndarray, darkness: np.ndarray, box: np.ndarray, label: int) -> float:
    """The darkest pixel of component ``label`` (``box``: x, y, w, h)."""
    x, y, w, h = box[:4]
    own = labels[y : y + h, x : x + w] == label
    return float(darkness[y : y + h, x : x + w][own].max())


def _steps(centres: np.ndarray, text_h: float) -> np.ndarray | None:
    """The lattice's two steps as the columns of a 2x2 matrix (level one first), from the
    specks' nearest neighbours, or None when they give no lattice of ``PITCH``."""
    queries = np.linspace(0, len(centres) - 1, min(SAMPLE, len(centres))).astype(np.int64)
    step = nearest_steps(centres, queries)
    level = np.abs(step[:, 0]) >= np.abs(step[:, 1])
    along = step[level] * np.sign(step[level, :1] + 1e-6)
    down = step[~level] * np.sign(step[~level, 1:] + 1e-6)
    if min(len(along), len(down)) < MIN_DOTS // 4:
        return None
    basis = np.column_stack([np.median(along, axis=0), np.median(down, axis=0)])
    lengths = np.hypot(basis[0], basis[1])
    if np.any(lengths < PITCH[0] * text_h) or np.any(lengths > PITCH[1] * text_h):
        return None
    return basis.astype(np.float64)


def _fitted(centres: np.ndarray, basis: np.ndarray) -> tuple:
    """The lattice's origin and steps fitted (least squares) to the specks on it, from the
    speck nearest their middle outwards, ``FIT_REACHES`` steps at a time: a step a fraction
    of a pixel off puts a speck far away a whole step off."""
    middle = centres[np.argmin(np.abs(centres - np.median(centres, axis=0)).sum(axis=1))]
    origin, reach = middle.astype(np.float64), np.hypot(*basis).max()
    distance = np.hypot(*(centres - middle).T)
    for steps in FIT_REACHES:
        cells = np.linalg.solve(basis, (centres - origin).T).T
        index = np.round(cells)
        on = np.all(np.abs(cells - index) <= TOLERANCE, axis=1) & (distance <= steps * reach)
        if np.count_nonzero(on) < 3:
            break
        terms = np.column_stack([np.ones(np.count_nonzero(on)), index[on]])
        fit = np.linalg.lstsq(terms, centres[on].astype(np.float64), rcond=None)[0]
        origin, basis = fit[0], fit[1:].T
    return origin, basis


def _points(shape: tuple, basis: np.ndarray, origin: np.ndarray) -> tuple:
    """The lattice's points (x, y rows) inside a frame of ``shape`` (h, w), and their
    lattice coordinates (int rows)."""
    h, w = shape
    corners = np.array([[0, 0], [w, 0], [0, h], [w, h]], np.float64) - origin
    cells = np.linalg.solve(basis, corners.T).T
    lo, hi = np.floor(cells.min(axis=0)), np.ceil(cells.max(axis=0))
    i, j = np.meshgrid(np.arange(lo[0], hi[0] + 1), np.arange(lo[1], hi[1] + 1))
    cells = np.column_stack([i.ravel(), j.ravel()])
    points = cells @ basis.T + origin
    inside = (points[:, 0] >= 0) & (points[:, 0] < w) & (points[:, 1] >= 0) & (points[:, 1] < h)
    return points[inside], cells[inside].astype(np.int64)


def _bends(cells: np.ndarray, found: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """Per lattice point (``cells``: its lattice coordinates), the mean offset from their
    points of the specks found (``found``: their lattice coordinates; ``offsets``: x, y)
    ``REACH`` points around it, or none where no speck is."""
    low = np.minimum(cells.min(axis=0), found.min(axis=0))
    size = tuple(np.maximum(cells.max(axis=0), found.max(axis=0)) - low + 1)
    sums = np.zeros((3, size[1], size[0]), np.float32)  # x offset, y offset, count; rows j
    at = (found[:, 1] - low[1], found[:, 0] - low[0])
    for plane, values in zip(
        sums, (offsets[:, 0], offsets[:, 1], np.ones(len(found))), strict=True
    ):
        np.add.at(plane, at, values)
    kernel = (2 * REACH + 1, 2 * REACH + 1)
    near = [
        cv2.boxFilter(p, -1, kernel, normalize=False, borderType=cv2.BORDER_CONSTANT) for p in sums
    ]
    count = np.maximum(near[2], 1)
    j, i = cells[:, 1] - low[1], cells[:, 0] - low[0]
    return np.column_stack([near[0][j, i] / count[j, i], near[1][j, i] / count[j, i]])
