"""A notebook's spiral binding in an ink map's components: its holes and loops are no ink.

Students photograph pages of spiral notebooks with the binding in view: a hole every
0.7-1 text heights down the sheet's side, the desk dark through it, and a loop of wire
from each over the sheet's edge. Read as characters they fill the page with "?" lines.
``areas`` finds such a column among the components (``stats`` rows as
``cv2.connectedComponentsWithStats`` gives them, and their ``labels``) and returns the
areas whose components ``within`` names; ``preprocess`` drops them before the text height
is measured, and again once the rules that ran through the loops are out.
"""

from __future__ import annotations

import cv2
import numpy as np

COUNT = 6  # a spiral binding: this many holes or loops or more ...
SIZE = 0.15  # ... of one size (widths and heights within this part of each other) ...
ACROSS = 0.25  # ... one above the other (centres this part of their width apart) ...
TOL = 0.2  # ... at one pitch (every gap within this part of a pitch of a whole number)
SHAPE = 0.85  # ... and of one shape (most overlap their majority this much)
FILL = 0.5  # (holes, filling this part of their box, take the coil beside them)
REACH = 3  # ... within this many of its widths of the frame's side (further in: the page)
BIN = 8  # (marks are looked at only where this many pixels wide a column holds them)


def areas(stats: np.ndarray, labels: np.ndarray, marks: np.ndarray) -> list:
    """The areas (x0, y0, x1, y1) of a spiral binding down the side of a notebook's page,
    found among the ``marks`` (strong components, rules not among them): a column of
    ``COUNT`` or more of one size (``SIZE``), one above the other (centres
    within ``ACROSS`` of their width), at one pitch (``_one_pitch``) and of one
    shape (``_one_shape``), within ``REACH`` of its widths of the frame's side (a
    printed form's column of one repeated letter lies further in). Each area runs down the
    whole frame (loops or holes that a rule or the coil joined are no part of the column).
    A column of holes (``_solid``) takes the frame's side beside it, where the coil runs
    over the sheet's edge in pieces, up to a hole's width past it; a column of loops only
    its own band, and only when no mark lies across the band and other marks on one side
    of it only (``_band``). Never a column of letters: those differ in width and shape; a
    table's column of one digit has ink on both sides; a column of one bullet or box beside
    a list goes with them."""
    x, y, w, h = (stats[:, i].astype(np.float64) for i in range(4))
    centre = x + w / 2
    ids = np.flatnonzero(marks & (h >= 6) & (w >= 6))
    if ids.size < COUNT:
        return []
    # only marks whose centre shares a column of pixels with COUNT others: cheap
    columns = np.bincount((centre[ids] // BIN).astype(np.int64))
    crowded = np.convolve(columns, np.ones(3, np.int64), "same") >= COUNT
    ids = ids[crowded[(centre[ids] // BIN).astype(np.int64)]]
    if ids.size < COUNT:
        return []
    cw, ch, cc = w[ids], h[ids], centre[ids]
    alike = (
        (np.abs(cw[:, None] - cw[None]) <= SIZE * cw[:, None])
        & (np.abs(ch[:, None] - ch[None]) <= SIZE * ch[:, None])
        & (np.abs(cc[:, None] - cc[None]) <= ACROSS * cw[:, None])
    )
    found, seen = [], np.zeros(ids.size, bool)
    for i in np.flatnonzero(alike.sum(axis=1) >= COUNT):
        if not seen[i]:
            seen |= alike[i]
            column = ids[alike[i]]
            if _one_pitch(np.sort(y[column] + h[column] / 2)) and _one_shape(labels, stats, column):
                found.append(column)
    out, (height, width) = [], labels.shape
    holes = [_solid(stats, c) for c in found]
    for hole, column in sorted(zip(holes, found, strict=True), key=lambda t: not t[0]):
        x0, x1 = x[column].min(), (x + w)[column].max()
        reach = REACH * (x1 - x0)  # further from the frame's side: inside the page
        if x0 + x1 < width:  # on the left
            side, edge = (0, 0, 2 * x1 - x0, height), x0
        else:
            side, edge = (2 * x0 - x1, 0, width, height), width - x1
        if edge > reach:
            continue
        if hole:
            out.append(side)
        elif _band(stats, marks & ~within(stats, out), (x0, 0, x1, height)):
            out.append((x0, 0, x1, height))
    return out


def within(stats: np.ndarray, areas: list) -> np.ndarray:
    """Components whose columns lie within one of the ``areas`` (x0, y0, x1, y1) and whose
    rows meet it."""
    out = np.zeros(len(stats), bool)
    x, y, w, h = (stats[:, i] for i in range(4))
    for x0, y0, x1, y1 in areas:
        out |= (x >= x0) & (x + w <= x1) & (y < y1) & (y + h > y0)
    out[0] = False
    return out


def _one_pitch(centres: np.ndarray) -> bool:
    """Whether sorted centres lie at one pitch: every gap within ``TOL`` of a whole
    number of the pitch, the median of the single gaps (a loop the threshold lost leaves a
    double gap)."""
    gaps = np.diff(centres)
    if gaps.min() <= 0:
        return False
    pitch = np.median(gaps[gaps < 1.5 * gaps.min()])
    steps = gaps / pitch
    return bool((np.abs(steps - np.round(steps)) <= TOL).all())


def _one_shape(labels: np.ndarray, stats: np.ndarray, column: np.ndarray) -> bool:
    """Whether the marks of a column are one shape, as machine-made loops are: scaled to
    their median size, most of them overlap their majority (the pixels most of them ink)
    by ``SHAPE`` (intersection over union; the median). A rule taken out through
    some loops cuts them apart from the rest; the same letter written again overlaps its
    majority by about 0.6 (a stroke font) or 0.75 (printed type)."""
    size = (int(np.median(stats[column, 2])), int(np.median(stats[column, 3])))
    shapes = []
    for i in column:
        x, y, w, h = stats[i, :4]
        mask = (labels[y : y + h, x : x + w] == i).view(np.uint8) * np.uint8(255)
        shapes.append(cv2.resize(mask, size, interpolation=cv2.INTER_AREA) > 127)
    majority = np.mean(shapes, axis=0) > 0.5
    overlap = [(s & majority).sum() / max(1, (s | majority).sum()) for s in shapes]
    return float(np.median(overlap)) >= SHAPE


def _solid(stats: np.ndarray, column: np.ndarray) -> bool:
    """Whether every mark of a column is a hole: squarish, filling ``FILL`` of its
    box (a disk fills 0.79; a rule taken out through it, or a wire over it, leaves less)."""
    w, h, area = (stats[column, i] for i in (2, 3, 4))
    return bool(((area >= FILL * w * h) & (w <= 2 * h) & (h <= 2 * w)).all())


def _band(stats: np.ndarray, marks: np.ndarray, area: tuple) -> bool:
    """Whether no mark (not a rule's stub) lies across a column of loops' band ``area``
    (x0, y0, x1, y1) within its rows, and other marks lie on one side of it only (a
    table's column of one digit has ink on both sides)."""
    x, y, w, h = (stats[:, i] for i in range(4))
    x0, y0, x1, y1 = area
    rows = marks & (h >= 6) & (w >= 6) & (y < y1) & (y + h > y0)
    inside = rows & (x >= x0) & (x + w <= x1)
    left, right = rows & (x + w <= x0), rows & (x >= x1)
    return not ((rows & ~inside & ~left & ~right).any() or (left.any() and right.any()))
