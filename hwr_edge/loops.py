"""Loops drawn around writing (a word or a line circled with the pen): the ring is no letter.

Left to the rules (``rules.remove_rules``), a loop around a line loses only its flat top and
bottom: its two ends stay, curved marks beside the line's first and last letters, read as C
and D or J; a loop around a short word is read whole, as letters. A component ``LOOP_SIZE``
text heights long and ``MIN_AXIS`` high, with a hole that holds ink (the writing it goes
around), whose outer outline an ellipse fits (``FIT_SHARE`` of its points within
``FIT_TOLERANCE`` text heights past the pen, fitted again on those points) better than a
rectangle does (a box drawn around a line goes as rules and walls, ``rules.box_walls``), is
such a loop. ``find`` gives its pixels: the loop is traced step by step along the ellipse,
across it, where a hand's loop wanders from it (``_traced``); where a letter's stroke runs
over it, the outer half of the pen goes. ``preprocess`` reads the page again with them taken
out, before the threshold. A letter the pen crossed keeps the rest of its strokes; one with
a stroke along the loop (an E's bottom bar) loses it. A loop on ruled paper, joined to the
rules, and one left open (no hole) are not found.
"""

from __future__ import annotations

import cv2
import numpy as np

LOOP_HOLE = 0.3  # its largest hole at least this part of its ellipse's area ...
LOOP_INK = 0.35  # ... with ink inside, at least this many square text heights of it
FIT_TOLERANCE = 0.15  # text heights an outline point may lie from the ellipse, past the pen ...
FIT_SHARE = 0.7  # ... and this part of the points within that, more than of a box's: an ellipse
MIN_AXIS = 1.0  # the ellipse's shorter axis at least this many text heights (round writing)
LOOP_SIZE = 1.8  # ... and its longer one at least this many: one around a word of two letters
MIN_POINTS = 20  # outlines with fewer points are fitted by no ellipse
MAX_PEN = 0.3  # text heights: the widest pen a loop is taken out with (letters it joined aside)
ERASE_MARGIN = 1  # pixels either side of the pen taken out along the loop
TRACE_REACH = 0.5  # text heights past the pen from the ellipse that the loop is followed


def find(labels: np.ndarray, stats: np.ndarray, strong: np.ndarray, text_h: float):
    """The pixels (bool, the frame's shape) of the loops drawn around writing among the
    ``strong`` components (``labels``, ``stats``), traced along their ellipses; None when
    there is none. Only components ``LOOP_SIZE`` text heights long and ``MIN_AXIS`` high are looked
    at."""
    sides = stats[:, 2:4]
    candidates = strong & (sides.max(axis=1) >= LOOP_SIZE * text_h)
    candidates &= sides.min(axis=1) >= MIN_AXIS * text_h
    drawn = None
    for i in np.flatnonzero(candidates):
        x, y, w, h = (int(v) for v in stats[i, :4])
        box = labels[y : y + h, x : x + w]
        own = (box == i).view(np.uint8)
        pixels = _loop_pixels(own, box > 0, text_h)
        if pixels is not None:
            if drawn is None:
                drawn = np.zeros(labels.shape, bool)
            drawn[y : y + h, x : x + w] |= pixels
    return drawn


def _loop_pixels(own: np.ndarray, ink: np.ndarray, text_h: float) -> np.ndarray | None:
    """The pixels (bool, in ``own``'s box) of the drawn loop ``own`` (uint8 0/1, one
    component), traced along its ellipse (``_traced``); None when it is no loop around
    writing (``ink``: bool, all ink in the box)."""
    contours, hierarchy = cv2.findContours(own, cv2.RETR_CCOMP, cv2.CHAIN_APPROX_NONE)
    outer = max(
        (k for k in range(len(contours)) if hierarchy[0][k][3] < 0),
        key=lambda k: cv2.contourArea(contours[k]),
    )
    holes = [k for k in range(len(contours)) if hierarchy[0][k][3] == outer]
    if not holes or len(contours[outer]) < MIN_POINTS:
        return None
    hole = max(cv2.contourArea(contours[k]) for k in holes)
    points = contours[outer].reshape(-1, 2).astype(np.float32)
    length = max(cv2.arcLength(contours[outer], True), 1.0)  # a thin ring's ink: length x pen
    pen = min(cv2.countNonZero(own) / length, MAX_PEN * text_h)
    reach = pen / 2 + FIT_TOLERANCE * text_h
    ellipse = cv2.fitEllipse(points)
    near = _distances(_ellipse_curve(ellipse, own.shape), points) <= reach
    if np.count_nonzero(near) < MIN_POINTS:
        return None
    ellipse = cv2.fitEllipse(points[near])
    fits = np.mean(_distances(_ellipse_curve(ellipse, own.shape), points) <= reach)
    if fits < FIT_SHARE or min(ellipse[1]) < MIN_AXIS * text_h:
        return None
    if hole < LOOP_HOLE * np.pi / 4 * ellipse[1][0] * ellipse[1][1]:  # a letter's bowl
        return None
    corners = cv2.boxPoints(cv2.minAreaRect(points[near])).astype(np.int32)
    box = np.full(own.shape, 255, np.uint8)
    cv2.polylines(box, [corners], True, 0, 1)
    if np.mean(_distances(box, points) <= reach) >= fits:  # a box drawn around the writing
        return None
    inside = np.zeros_like(own)
    cv2.ellipse(inside, ellipse, 1, -1)
    inside = cv2.erode(inside, np.ones((3, 3), np.uint8), iterations=max(1, int(reach)))
    if np.count_nonzero(inside.view(bool) & ink) < LOOP_INK * text_h * text_h:
        return None
    return _traced(own, ellipse, pen, pen + TRACE_REACH * text_h)


def _traced(own: np.ndarray, ellipse, pen: float, reach: float) -> np.ndarray:
    """The pen's own pixels along a drawn loop that ``ellipse`` (fitted to its outer edge)
    roughly follows: step by step along the curve, across it, the run of ``own`` nearest to
    where the loop ran at the step before (at most the pen's width from it, within ``reach``
    of the ellipse), from a step where it runs on the ellipse, its ends ``ERASE_MARGIN``
    wider; a run longer than the pen (a letter's stroke over the loop) gives only the outer
    half of the pen where the loop runs (the letter keeps more; the stress probe ``circled``
    read 63 / 46 errors so, 69 / 47 taking the pen's whole width; following only runs within
    1.5 pixels of the step before lost the loop, 77 / 49). A hand's loop wanders from an
    ellipse, and so does the trace."""
    (cx, cy), (width, height), angle = ellipse
    a, b = width / 2, height / 2
    steps = max(64, int(np.pi * (a + b)))  # about a pixel of the curve each
    t = np.linspace(0, 2 * np.pi, steps, endpoint=False)
    cos, sin = np.cos(np.deg2rad(angle)), np.sin(np.deg2rad(angle))
    ex, ey = a * np.cos(t), b * np.sin(t)
    px, py = cx + ex * cos - ey * sin, cy + ex * sin + ey * cos
    nx, ny = ex / a**2, ey / b**2  # the outward normal, in the ellipse's own axes
    nx, ny = nx * cos - ny * sin, nx * sin + ny * cos
    norm = np.hypot(nx, ny)
    nx, ny = nx / norm, ny / norm
    offsets = np.arange(-int(reach) - 1, int(reach) + 2) - pen / 2  # across, middle at 0
    cols = np.rint(px[:, None] - (offsets[None, :] + pen / 2) * nx[:, None]).astype(int)
    rows = np.rint(py[:, None] - (offsets[None, :] + pen / 2) * ny[:, None]).astype(int)
    inside = (rows >= 0) & (rows < own.shape[0]) & (cols >= 0) & (cols < own.shape[1])
    ink = np.zeros(rows.shape, bool)
    ink[inside] = own[rows[inside], cols[inside]] > 0
    runs = _runs(ink, offsets)
    on = [
        k for k, r in enumerate(runs) if any(lo <= 0 <= hi and hi - lo <= pen + 2 for lo, hi in r)
    ]
    erase = np.zeros(own.shape, bool)
    if not on:
        return erase
    middle = 0.0
    for k in np.roll(np.arange(steps), -on[0]):
        near = [(lo, hi) for lo, hi in runs[k] if lo - pen <= middle <= hi + pen]
        if not near:
            continue
        lo, hi = min(near, key=lambda r: abs((r[0] + r[1]) / 2 - middle))
        if hi - lo > pen + 2:  # a letter's stroke over the loop: the pen's outer half only
            lo, hi = middle - pen / 2, middle
        else:
            middle = (lo + hi) / 2
        keep = (offsets >= lo - ERASE_MARGIN) & (offsets <= hi + ERASE_MARGIN) & inside[k]
        erase[rows[k, keep], cols[k, keep]] = True
    return erase & (own > 0)


def _runs(ink: np.ndarray, offsets: np.ndarray) -> list[list[tuple[float, float]]]:
    """Per row of ``ink`` (bool, samples at ``offsets``), the ``(first, last)`` offsets of
    each of its runs of True."""
    edges = np.diff(np.pad(ink, ((0, 0), (1, 1))).view(np.int8), axis=1)
    first_rows, firsts = np.nonzero(edges == 1)
    lasts = np.nonzero(edges == -1)[1] - 1  # in the same row order, one end per start
    runs: list[list[tuple[float, float]]] = [[] for _ in range(len(ink))]
    for row, i, j in zip(first_rows.tolist(), firsts.tolist(), lasts.tolist(), strict=True):
        runs[row].append((float(offsets[i]), float(offsets[j])))
    return runs


def _ellipse_curve(ellipse, shape: tuple) -> np.ndarray:
    """An image of ``shape``, 255 but 0 on the ``ellipse``'s curve."""
    curve = np.full(shape, 255, np.uint8)
    cv2.ellipse(curve, ellipse, 0, 1)
    return curve


def _distances(curve: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Each point's distance in pixels to the curve drawn as 0 in ``curve``."""
    distance = cv2.distanceTransform(curve, cv2.DIST_L2, 3)
    cols = np.clip(points[:, 0].astype(int), 0, curve.shape[1] - 1)
    rows = np.clip(points[:, 1].astype(int), 0, curve.shape[0] - 1)
    return distance[rows, cols]
