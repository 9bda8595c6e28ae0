"""Dot-grid paper: its printed dots, found as a lattice of specks and taken out, also where
they lie inside a letter's box or touch its strokes.

A bullet journal's page has a grey dot every 5 mm along both axes. Alone, each dot is a speck
and dropped (``preprocess._plausible``); but a dot inside a letter (an O's counter) is merged
into it as a piece, and one that touches a stroke is part of it: read as "?" or as another
character, and dots a little larger than usual, or text a little smaller, outnumber the
letters and set the text height (a page turned 4 degrees read as thousands of "?"). So the
lattice is looked for first, on the specks (at most ``FRAME_SPECK`` of the frame's shorter
side across, roundish): the median step to a nearest neighbour that lies level, and to one
that lies upright (``FRAME_PITCH`` of the frame's side long), then fitted to the specks on
it (``_fitted``). The page has a dot grid when ``ON_LATTICE`` of ``MIN_DOTS`` specks or
more lie within ``TOLERANCE`` of a step of its points: they set no text height and go.
Each point is moved by the mean offset of the specks found near it (``REACH`` points
either way: a photo's perspective bends the lattice), and there the ink within the dots'
radius that is no darker than ``INK_ON_DOT`` times the dots' is taken out too, once the
text height and the rules are known: a letter's stroke under a dot stays.
"""

from __future__ import annotations

from typing import NamedTuple

import cv2
import numpy as np

from hwr_edge.texture import nearest_steps

MIN_DOTS = 24  # fewer specks are no dot grid ...
MAX_SPECKS = 3000  # ... and more are noise (a 12 MP photo's preview holds 3000 dots 20 px apart)
FRAME_SPECK = 0.02  # a dot is at most this part of the frame's shorter side across ...
ROUND = 0.5  # ... and its box at least this part as wide as tall, and as tall as wide
FRAME_PITCH = (0.01, 0.2)  # the lattice's steps are this part of the frame's shorter side
CROSSED = 0.5  # ... and cross at 30 degrees or more
SAMPLE = 400  # specks whose nearest neighbours give the lattice's steps, at most
ON_LATTICE = 0.6  # a dot grid has this part of its specks ...
TOLERANCE = 0.15  # ... within this part of a step of a lattice point
FIT_REACHES = (4, 12, np.inf)  # the lattice is fitted to the specks this many steps away
REACH = 2  # a point moves by the mean offset of the specks this many points around it
DOT_LEVEL = 75  # the dots' darkness: this percentile of the darkest pixels of MIN_DOTS of them
INK_ON_DOT = 1.1  # ink at a dot this many times darker than the dots' is a letter's stroke


class Lattice(NamedTuple):
    """A dot grid found on a page: its specks' labels, its points (x, y rows, bent to the
    specks near them), the dots' radius and darkness."""

    specks: np.ndarray
    points: np.ndarray
    radius: int
    level: float


def find(labels: np.ndarray, stats: np.ndarray, darkness: np.ndarray) -> Lattice | None:
    """The dot grid among the components (``labels``, ``stats`` rows x, y, w, h, area), or
    None; looked for before the text height is known (dots at most ``FRAME_SPECK`` of the
    frame's shorter side across, steps ``FRAME_PITCH`` of it long), as dots a little larger
    than usual, or text a little smaller, outnumber the letters and would set the text
    height."""
    found = _lattice(stats, min(labels.shape))
    if found is None:
        return None
    origin, basis, ids, index, offsets = found
    points, cells = _points(labels.shape, basis, origin)
    points += _bends(cells, index, offsets)
    radius = int(np.ceil(np.sqrt(np.median(stats[ids, 4]) / np.pi) + 0.5))
    sample = [_darkest(labels, darkness, stats[i], i) for i in ids[:MIN_DOTS]]
    return Lattice(ids, points, radius, float(np.percentile(sample, DOT_LEVEL)))


def dot_pixels(lattice: Lattice, ink: np.ndarray, darkness: np.ndarray) -> np.ndarray:
    """uint8 0/1 mask of the pixels of ``ink`` (uint8 0/1) to take out as the dots of
    ``lattice``, also where they touch letters: within the dots' radius of its points, no
    darker than ``INK_ON_DOT`` times the dots."""
    disks = np.zeros(ink.shape, np.uint8)
    for x, y in np.round(lattice.points).astype(np.int64):
        cv2.circle(disks, (int(x), int(y)), lattice.radius, 1, -1)
    faint = (darkness <= INK_ON_DOT * lattice.level).view(np.uint8)
    return disks & faint & ink


def _lattice(stats: np.ndarray, frame: int):
    """The dot grid among the components' specks in a frame whose shorter side is ``frame``
    pixels, or None: its origin and steps (the columns of a 2x2 matrix), the labels of the
    specks on it, their lattice coordinates (int rows) and their offsets from their points."""
    w, h, area = stats[:, 2], stats[:, 3], stats[:, 4]
    side = np.maximum(w, h)
    speck = (side <= FRAME_SPECK * frame) & (np.minimum(w, h) >= ROUND * side) & (area >= 2)
    speck[0] = False
    ids = np.flatnonzero(speck)
    if not MIN_DOTS <= ids.size <= MAX_SPECKS:
        return None
    centres = (stats[ids, :2] + stats[ids, 2:4] / 2).astype(np.float32)
    basis = _steps(centres, FRAME_PITCH[0] * frame, FRAME_PITCH[1] * frame)
    if basis is None:
        return None
    origin, basis = _fitted(centres, basis)
    cells = np.linalg.solve(basis, (centres - origin).T).T  # lattice coordinates
    index = np.round(cells)
    on = np.all(np.abs(cells - index) <= TOLERANCE, axis=1)
    if np.count_nonzero(on) < max(MIN_DOTS, ON_LATTICE * ids.size):
        return None
    offsets = centres[on] - (index[on] @ basis.T + origin)
    return origin, basis, ids[on], index[on].astype(np.int64), offsets


def _darkest(labels: np.ndarray, darkness: np.ndarray, box: np.ndarray, label: int) -> float:
    """The darkest pixel of component ``label`` (``box``: x, y, w, h)."""
    x, y, w, h = box[:4]
    own = labels[y : y + h, x : x + w] == label
    return float(darkness[y : y + h, x : x + w][own].max())


def _steps(centres: np.ndarray, shortest: float, longest: float) -> np.ndarray | None:
    """The lattice's two steps as the columns of a 2x2 matrix (level one first), from the
    specks' nearest neighbours, or None when they give no lattice with steps ``shortest``
    to ``longest`` pixels long."""
    queries = np.linspace(0, len(centres) - 1, min(SAMPLE, len(centres))).astype(np.int64)
    step = nearest_steps(centres, queries)
    level = np.abs(step[:, 0]) >= np.abs(step[:, 1])
    along = step[level] * np.sign(step[level, :1] + 1e-6)
    down = step[~level] * np.sign(step[~level, 1:] + 1e-6)
    if min(len(along), len(down)) < MIN_DOTS // 4:
        return None
    basis = np.column_stack([np.median(along, axis=0), np.median(down, axis=0)])
    lengths = np.hypot(basis[0], basis[1])
    if np.any(lengths < shortest) or np.any(lengths > longest) or not _crossed(basis):
        return None
    return basis.astype(np.float64)


def _crossed(basis: np.ndarray) -> bool:
    """Whether a lattice's two steps (the columns of ``basis``) cross at ``CROSSED`` or more
    of a right angle's sine (not one row of specks twice)."""
    lengths = np.hypot(basis[0], basis[1])
    return lengths.min() > 0 and abs(float(np.linalg.det(basis))) >= CROSSED * lengths.prod()


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
        if not _crossed(fit[1:].T):  # the specks so far on one row: no fit of both steps
            break
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
