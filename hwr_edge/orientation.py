"""Photos stored sideways without an EXIF tag, or held at a tilt: tell them, turn them, and
map boxes read on the photo turned back to the photo's own pixels.

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

A page photographed at a tilt of ``TILTED`` degrees or more (``tilt``: the median slope from
each character to the next on its line) is read again levelled (``levelled``): the letters'
own tilt costs the classifier, which was trained on upright ones.
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
TILTED = 8.0  # lines sloping this many degrees or more: the page is read again levelled ...
MIN_STEPS = 4  # ... when at least this many steps from a character to the next tell the slope


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


def tilt(lines) -> float:
    """The slope of a reading's lines (``results.Line``), in degrees (clockwise in the photo:
    lines falling to the right), from the median step from each character's centre to the
    next one's on its line; 0 with fewer than ``MIN_STEPS`` steps."""
    steps = []
    for line in lines:
        boxes = [c.box for word in line.words for c in word.chars]
        centres = np.array([[x + w / 2, y + h / 2] for x, y, w, h in boxes], np.float64)
        if len(centres) > 1:
            step = np.diff(centres, axis=0)
            steps.extend(np.arctan2(step[:, 1], step[:, 0])[step[:, 0] > 0].tolist())
    if len(steps) < MIN_STEPS:
        return 0.0
    return float(np.degrees(np.median(steps)))


def levelled(image: np.ndarray, degrees: float) -> tuple[np.ndarray, np.ndarray]:
    """``image`` turned ``degrees`` counter-clockwise (the ``tilt`` of its lines levels them)
    on a canvas large enough to hold all of it, its corners filled with the photo's median
    colour (the paper's; drawn out, ink at the frame would draw streaks), and the affine
    matrix that maps its pixels back to ``image``'s."""
    h, w = image.shape[:2]
    turn = cv2.getRotationMatrix2D((w / 2, h / 2), degrees, 1.0)
    cos, sin = abs(turn[0, 0]), abs(turn[0, 1])
    size = (int(np.ceil(w * cos + h * sin)), int(np.ceil(w * sin + h * cos)))
    turn[:, 2] += (size[0] - w) / 2, (size[1] - h) / 2
    fill = np.median(image.reshape(h * w, -1)[:: max(1, h * w // 4096)], axis=0)
    out = cv2.warpAffine(image, turn, size, borderValue=tuple(float(v) for v in fill))
    return out, cv2.invertAffineTransform(turn)


def level_back(box: Box, back: np.ndarray, shape: tuple) -> Box:
    """A box found on a ``levelled`` photo, in the pixels of the photo of ``shape`` (rows,
    columns) it was turned from (``back``: the matrix ``levelled`` returned): the box around
    its four corners turned back, within the photo."""
    x, y, w, h = box
    corners = np.array([[x, y, 1], [x + w, y, 1], [x, y + h, 1], [x + w, y + h, 1]], np.float64)
    xs, ys = (corners @ back.T).T
    x0, y0 = max(0, int(np.floor(xs.min()))), max(0, int(np.floor(ys.min())))
    x1, y1 = min(shape[1], int(np.ceil(xs.max()))), min(shape[0], int(np.ceil(ys.max())))
    return (x0, y0, max(1, x1 - x0), max(1, y1 - y0))
