"""Loops drawn around writing (a word or a line circled with the pen): the ring is no letter.

Left to the rules (``rules.remove_rules``), a loop around a line loses only its flat top and
bottom: its two ends stay, curved marks beside the line's first and last letters, read as C
and D or J; a loop around a short word is read whole, as letters. A component ``LOOP_SIZE``
text heights long and ``MIN_AXIS`` high, with a hole that holds ink (the writing it goes
around), whose outer outline an ellipse fits (``FIT_SHARE`` of its points within
``FIT_TOLERANCE`` text heights past the pen, fitted again on those points) better than a
rectangle does (a box drawn around a line goes as rules and walls, ``rules.box_walls``), is
such a loop. ``find`` gives its pixels along the ellipse, the pen's width and a pixel either
side, centred on the outline (the pen's outer edge; centred on the pen, or with the strokes
that cross it bridged, the stress probe ``circled`` read no better); ``preprocess`` reads
the page again with them taken out, before the threshold. A letter the pen crossed keeps
the rest of its strokes; one with a stroke along the loop (an E's bottom bar) loses it. The
inner edge of a small loop can stay (around two letters: read as C and J), and a loop on
ruled paper, joined to the rules, is not found.
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
ERASE_MARGIN = 1  # pixels either side of the pen taken out along the ellipse


def find(labels: np.ndarray, stats: np.ndarray, strong: np.ndarray, text_h: float):
    """The pixels (bool, the frame's shape) of the loops drawn around writing among the
    ``strong`` components (``labels``, ``stats``) along their ellipses; None when there is
    none. Only components ``LOOP_SIZE`` text heights long and ``MIN_AXIS`` high are looked
    at."""
    sides = stats[:, 2:4]
    candidates = strong & (sides.max(axis=1) >= LOOP_SIZE * text_h)
    candidates &= sides.min(axis=1) >= MIN_AXIS * text_h
    drawn = None
    for i in np.flatnonzero(candidates):
        x, y, w, h = (int(v) for v in stats[i, :4])
        box = labels[y : y + h, x : x + w]
        own = (box == i).view(np.uint8)
        band = _loop_band(own, box > 0, text_h)
        if band is not None:
            if drawn is None:
                drawn = np.zeros(labels.shape, bool)
            drawn[y : y + h, x : x + w] |= band & (own > 0)
    return drawn


def _loop_band(own: np.ndarray, ink: np.ndarray, text_h: float) -> np.ndarray | None:
    """The pixels (bool, in ``own``'s box) along the ellipse that a drawn loop ``own`` (uint8
    0/1, one component) follows, its pen's width and ``ERASE_MARGIN`` either side; None when
    it is no loop around writing (``ink``: bool, all ink in the box)."""
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
    band = np.zeros_like(own)  # along the outline's ellipse: the pen's outer edge
    cv2.ellipse(band, ellipse, 1, int(round(pen)) + 2 * ERASE_MARGIN)
    return band > 0


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
