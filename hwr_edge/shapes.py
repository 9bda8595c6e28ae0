"""Styles the training data lack: a 1 with a flag, a 6 with a round bowl.

EMNIST's and MNIST's 1s are nearly all bare strokes, so the classifiers read a 1 with a
flag (as continental Europe writes it and many fonts draw it) as a 7. A 7's bar runs across
its top: 9 of MNIST's 6,265 training 7s have a top band narrower than ``BAR_MIN`` of their
height while being narrower than ``NARROW`` of it, against two thirds of the flagged 1s cut
from generated Hershey and stroke-font pages. Such a 7 is read as the 1 it is.

EMNIST's 6s lean and have a small bowl; a 6 written upright with a round bowl and a wide
arc over it (as fonts draw it) is a G to the default model. A G seldom closes a bowl in its
lower half (16% of EMNIST's training Gs, and those look like 6s), a 6 mostly does (79%).
Four tenths of such a G's probability go to 6: the G stays its best reading, and its word
decides (the context rule reads a 6 among digits and a G among letters: G and 6 are
look-alikes there).
"""

from __future__ import annotations

import cv2
import numpy as np

BAR_BAND = 0.15  # the top of a glyph, in its heights, where a 7's bar lies
BAR_MIN = 0.3  # a 7's bar spans this many of its heights or more ...
NARROW = 0.5  # ... or the 7 is this wide for its height or wider
BOWL_SHARE = 0.4  # the part of a G with a lower bowl that goes to 6
ASKED = 0.05  # a row whose 7 or G holds less is not tested: moving it changes no reading


def no_bar(mask: np.ndarray) -> bool:
    """Whether a glyph's ink ``mask`` has no bar across its top and is narrow: no 7."""
    rows = np.flatnonzero(mask.any(axis=1))
    cols = np.flatnonzero(mask.any(axis=0))
    if rows.size == 0:
        return False
    height = rows[-1] - rows[0] + 1
    if cols[-1] - cols[0] + 1 >= NARROW * height:
        return False
    band = mask[rows[0] : rows[0] + max(1, round(BAR_BAND * height))]
    top = np.flatnonzero(band.any(axis=0))
    return top[-1] - top[0] + 1 < BAR_MIN * height


def lower_bowl(mask: np.ndarray) -> bool:
    """Whether a glyph's ink ``mask`` encloses a hole whose centre lies in its lower half."""
    rows = np.flatnonzero(mask.any(axis=1))
    if rows.size == 0:
        return False
    top, height = rows[0], rows[-1] - rows[0] + 1
    contours, hierarchy = cv2.findContours(
        (mask > 0).astype(np.uint8), cv2.RETR_CCOMP, cv2.CHAIN_APPROX_SIMPLE
    )
    if hierarchy is None:
        return False
    for contour, link in zip(contours, hierarchy[0], strict=True):
        if link[3] >= 0 and cv2.contourArea(contour) >= 1:
            _, y, _, h = cv2.boundingRect(contour)
            if y + h / 2 - top > height / 2:
                return True
    return False


# (class read, class it may be, the test that says so, the part of the probability moved)
STYLES = (("7", "1", no_bar, 1.0), ("G", "6", lower_bowl, BOWL_SHARE))


def amend_styles(probs: np.ndarray, masks: list[np.ndarray], labels: list[str]) -> np.ndarray:
    """``probs`` (one row per ink mask in ``masks``, columns ``labels``) with each row whose
    glyph fails a ``STYLES`` test giving that part of its class's probability to the other;
    the rows are a copy where anything moves."""
    index = {c: i for i, c in enumerate(labels)}
    out = probs
    for read, meant, test, share in STYLES:
        if read not in index or meant not in index:
            continue
        a, b = index[read], index[meant]
        for r in np.flatnonzero(probs[:, a] >= ASKED):
            if test(masks[r]):
                if out is probs:
                    out = probs.copy()
                moved = out[r, a] * share
                out[r, b] += moved
                out[r, a] -= moved
    return out
