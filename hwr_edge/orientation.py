"""Photos stored sideways without an EXIF tag: tell them, and map boxes read on the photo
turned upright back to the photo's own pixels.

Letters of a word stand closer to each other than lines do, so on an upright page nearly
every ink component's nearest neighbour is beside it; on a page turned a quarter, above or
below it. On 64 generated pages per font (all 16 conditions, seed 4), at most 0.24 of the
components have their nearest neighbour above or below when upright (Hershey type; stroke
font 0), at least 0.48 when turned (a blurred webcam page; the others 0.6 and more); a
page is sideways from ``SIDEWAYS`` on. A neighbour above or below counts only when it is
closer than ``LETTER_GAP`` of the larger box's size: a list written one character a line
has its neighbours a line away, and stays upright. Which quarter turn reads it upright is
left to the reader's confidence (``Recognizer``), which also keeps an upright page that was
taken for sideways as it is.
"""

from __future__ import annotations

import cv2
import numpy as np

from hwr_edge.results import Box

SIDEWAYS = 0.45  # share of components whose nearest neighbour is above or below them
LETTER_GAP = 0.4  # ... and closer than this part of the larger one's size (letters, not lines)
MIN_GLYPHS = 6  # fewer components say nothing about the direction of the text
MAX_QUERIES = 200  # a page with more components: the neighbours of this many, evenly spread
QUARTER_TURNS = (cv2.ROTATE_90_CLOCKWISE, cv2.ROTATE_90_COUNTERCLOCKWISE)


def sideways(boxes) -> bool:
    """Whether ink components at ``boxes`` (x, y, w, h rows) run in columns (text turned a
    quarter), not in rows."""
    if len(boxes) < MIN_GLYPHS:
        return False
    b = np.asarray(boxes, np.float64)
    centre = (b[:, :2] + b[:, 2:] / 2).astype(np.float32)  # half-pixel centres: exact
    own = np.unique(np.linspace(0, len(b) - 1, min(len(b), MAX_QUERIES)).astype(np.intp))
    across = centre[None, :, 0] - centre[own, None, 0]
    down = centre[None, :, 1] - centre[own, None, 1]
    distance = across * across + down * down  # squared: the same nearest, cheaper
    rows = np.arange(len(own))
    distance[rows, own] = np.inf
    other = distance.argmin(axis=1)
    dx, dy = np.abs(across[rows, other]), np.abs(down[rows, other])
    gap = dy - (b[own, 3] + b[other, 3]) / 2  # between the two boxes, top to bottom
    size = np.maximum(b[own, 2:].max(axis=1), b[other, 2:].max(axis=1))
    return float(np.mean((dy > dx) & (gap < LETTER_GAP * size))) >= SIDEWAYS


def turn_back(box: Box, turn: int, shape: tuple) -> Box:
    """A box found on the photo turned by ``turn`` (a ``QUARTER_TURNS`` code), in the pixels
    of the photo of ``shape`` (rows, columns) as it was."""
    x, y, w, h = box
    rows, cols = shape[:2]
    if turn == cv2.ROTATE_90_CLOCKWISE:
        return (y, rows - x - w, h, w)
    return (cols - y - h, x, h, w)
