"""A flash's glare: the contrast it took from the ink restored (``preprocess`` step 3)."""

from __future__ import annotations

import cv2
import numpy as np

from hwr_edge.background import KERNEL3, cell_size, grow, quantile

GLARE_RISE = 0.6  # paper this part of the way from the sheet's usual paper to white: glare?
GLARE_STEP = 12  # ... and this many grey levels (paper near white varies as much unlit)
GLARE_FADE = 1.25  # ... where the ink is this many times fainter than the page's ink ...
GLARE_GAIN = 6.0  # ... its ink's darkness raised at most this many times


def unglared(
    darkness: np.ndarray, closed: np.ndarray, table: np.ndarray | None, close_cells: int, low: float
) -> np.ndarray:
    """``darkness`` with the contrast a flash's glare took restored. Glare adds light: it
    takes paper and ink the same part of the way to white, and dividing by the paper leaves
    the ink there faint. Where the paper (``closed``, per cell) has risen ``GLARE_RISE`` of
    the way from the sheet's median paper ``P`` to white (and ``GLARE_STEP`` levels), the
    ink of each cell (darker than ``low``, the weak threshold; measured by the darkest ink
    within ``close_cells``) is compared with the page's ink elsewhere. When even the darkest
    ink there (its 90th percentile) is ``GLARE_FADE`` times fainter than elsewhere, the
    darkness around each cell that much fainter is raised by its factor, at most by what the
    paper's rise explains, ``B (255 - P) / (P (255 - B))`` (``B``: the paper there), and
    ``GLARE_GAIN``. Blank paper and faint marks (no ink to measure), the bright half of a
    page beside a shadow (its letters as dark as the others) and a wall lit beside the sheet
    (no brighter than ``P``) keep their darkness."""
    cell = cell_size(darkness)
    ch, cw = closed.shape
    on_paper = True if table is None else ~table[: ch * cell : cell, : cw * cell : cell]
    if not np.any(on_paper):
        return darkness
    paper = quantile(closed if table is None else closed[on_paper], 0.5)
    rise = (closed.astype(np.float32) - paper) / max(255.0 - paper, 1.0)
    glare = (rise >= GLARE_RISE) & (closed >= paper + GLARE_STEP) & on_paper
    if not glare.any():
        return darkness
    square = cv2.getStructuringElement(cv2.MORPH_RECT, (cell, cell))
    cells = cv2.dilate(darkness[: ch * cell, : cw * cell], square, anchor=(0, 0))
    strongest = cells[::cell, ::cell]
    inked = strongest > low  # cells with ink, each measured by the darkest ink near it
    stroke = cv2.getStructuringElement(cv2.MORPH_RECT, (close_cells, close_cells))
    local = cv2.dilate(strongest, stroke).astype(np.float32)
    elsewhere = (rise < GLARE_RISE / 2) & on_paper & inked
    if not elsewhere.any():
        return darkness
    measured = glare & inked
    if not measured.any():
        return darkness
    ink = float(np.median(local[elsewhere]))
    darkest = np.percentile(local[measured], 90), np.percentile(local[elsewhere], 90)
    if darkest[0] * GLARE_FADE > darkest[1]:  # its darkest ink as dark as elsewhere: no glare
        return darkness
    faded = ink / np.maximum(local[measured], 1.0)  # how much fainter its ink is there
    bright = np.maximum(closed.astype(np.float32), paper)
    physical = bright * (255.0 - paper) / (paper * np.maximum(255.0 - bright, 1.0))
    gain = np.ones(closed.shape, np.float32)
    gain[measured] = np.minimum(faded, np.minimum(physical[measured], GLARE_GAIN))
    gain[gain < GLARE_FADE] = 1.0
    near = cv2.getStructuringElement(cv2.MORPH_RECT, (3 * close_cells, 3 * close_cells))
    gain = cv2.dilate(gain, near)  # over the paper around the ink measured
    # smoothed, never above what the glare can explain in a cell or its neighbours (1 off
    # its paper: the cells' interpolation must not carry it onto a dark edge beside it)
    gain = cv2.erode(np.minimum(cv2.GaussianBlur(gain, (0, 0), close_cells), physical), KERNEL3)
    x, y, w, h = cv2.boundingRect((gain > 1.0).view(np.uint8))
    if w == 0:
        return darkness
    x0, y0, x1, y1 = max(0, x - 1), max(0, y - 1), min(cw, x + w + 1), min(ch, y + h + 1)
    bottom = darkness.shape[0] if y1 == ch else y1 * cell  # the last partial cells too
    right = darkness.shape[1] if x1 == cw else x1 * cell
    rows, cols = slice(y0 * cell, bottom), slice(x0 * cell, right)
    # the gain in pixels, only where it raises (1 on the region's rim)
    region = grow(
        gain[y0:y1, x0:x1], (bottom - y0 * cell, right - x0 * cell), cell, cv2.INTER_LINEAR
    )
    out = darkness.copy()
    out[rows, cols] = cv2.multiply(darkness[rows, cols], region, dtype=cv2.CV_8U)
    return out
