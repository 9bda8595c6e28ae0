"""The paper's brightness under a photo, for dividing it out (``preprocess`` step 3): a
morphological closing on a copy of whole cells (``BG_CELLS`` on the shorter side) removes
the strokes and keeps the light's gradients, vignetting and shadows; the edge of a hard
shadow is taken again at full resolution; a desk, a table or a laptop in view (large dark
regions that end in a sharp step up to the paper, or lighter ones of a colour of their own
that run along the frame: a light wooden desk) and nearly black corners are marked as no
paper.
"""

from __future__ import annotations

import cv2
import numpy as np

BG_CELLS = 120  # the background estimate's shorter side, in cells
KERNEL3 = np.ones((3, 3), np.uint8)
DIM_PAPER = 0.15  # paper darker than this part of the brightest is unreadable: noise, not ink
TABLE_LEVEL = 0.35  # a background darker than this fraction of the paper's is not paper
LOCAL_PAPER = 0.25  # ... or of the paper's within this part of the frame (under a shadow)
DESK_LEVEL = 0.9  # ... or darker than this fraction of the paper's and of a colour of its own:
DESK_HUE = 0.09  # chromaticity this far from the paper's (a wooden desk 0.11-0.15; paper 0.08)
PAPER_CELLS = 0.8  # the paper's colour: the median of the cells this bright
FRAME_RUN = 0.5  # ... along the frame for this part of its longer side
DESK_COLOURS = 2  # ... of at most this many colours (a light desk beside a dark table)
DESK_AREA = 0.02  # a desk or table region covers at least this part of the frame
EDGE_STEP = 0.2  # a background step this part of the paper's brightness per cell: hard shadow
EDGE_LENGTH = 0.2  # ... along at least this part of the frame's shorter side (not text)
EDGE_BAND = 2  # ... whose background is measured at full resolution this many cells around
EDGE_CELLS = 4  # ... capped by a closing of that band averaged to this many pixels per cell
EDGE_RING = (3, 6)  # ... when this many cells outside it the background is back at
EDGE_LEVEL = 0.7  # this fraction of the paper's (a desk's edge; vignetting rises slowly)
EDGE_RATIO = 3.0  # ... or this many times its own level (a desk and paper under one shadow)
KEY_AREA = 0.05  # dark regions of this part of a desk's least area group (a keyboard's keys)
KEY_GAP = 2  # ... across gaps up to this many times the background closing's width
SOLID_FILL = 0.8  # a squarish component inked over this part of its box is a solid shape


def cell_size(gray: np.ndarray) -> int:
    """Pixels per cell of the background estimate."""
    return max(1, min(gray.shape[:2]) // BG_CELLS)


def estimate(
    gray: np.ndarray, small: np.ndarray, bgr: np.ndarray, close_cells: int
) -> tuple[np.ndarray, np.ndarray | None, np.ndarray]:
    """Paper brightness (same size as ``gray``, >= 1) and a bool mask of non-paper and
    unreadably dark areas (None when there are none), with strokes up to ``close_cells``
    cells wide closed away; ``small``: ``gray`` in whole cells (``shrink``); third, the
    paper's brightness in those cells (the closing, before the sharp edges). The table is
    found on the photo's darkest colour channel, where a brown desk is much darker than white
    paper."""
    h, w = gray.shape
    cell = cell_size(gray)
    small_size = (small.shape[1], small.shape[0])
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (close_cells, close_cells))
    closed = cv2.morphologyEx(small, cv2.MORPH_CLOSE, kernel, borderType=cv2.BORDER_REPLICATE)
    closed = cv2.medianBlur(closed, 5)
    # the colour is sampled, not averaged (8x faster): the closing and the median filter in
    # _closed remove the strokes and the noise, and a desk is large
    colour = cv2.resize(bgr, small_size, interpolation=cv2.INTER_LINEAR)
    paper = quantile(closed, 0.9)  # the brightest paper's level
    table_small = _table_region(colour, kernel)
    table_small |= closed < DIM_PAPER * paper
    background = grow(np.maximum(closed, 1), (h, w), cell, cv2.INTER_LINEAR)
    edges = _hard_edges(closed, paper)
    if edges.any():  # a sharp shadow: the small estimate blurs its edge over a cell
        size = close_cells * cell | 1
        near = grow(edges, (h, w), cell, cv2.INTER_NEAREST)
        x, y, bw, bh = cv2.boundingRect(near)
        # the closing only around the band: a margin of one kernel width makes it the
        # same there as a closing of the whole image
        x0, y0 = max(0, x - size), max(0, y - size)
        x1, y1 = min(w, x + bw + size), min(h, y + bh + size)
        exact = _closed_finely(gray[y0:y1, x0:x1], size, cell)
        inside = near[y0:y1, x0:x1] > 0
        background[y0:y1, x0:x1][inside] = np.maximum(exact[inside], 1)
    if not table_small.any():
        return background, None, closed
    return background, grow(table_small, (h, w), cell, cv2.INTER_NEAREST) > 0, closed


def _closed_finely(gray: np.ndarray, size: int, cell: int) -> np.ndarray:
    """``gray`` closed by a square ``size`` pixels wide, and no brighter than the same closing
    of a copy area-averaged to ``EDGE_CELLS`` per background cell (a large photo), grown
    back. The closing of the photo itself follows a sharp edge to the pixel but takes the
    sensor's noise peaks for the paper's level (brighter than the paper by several times the
    noise: where a shadow dims the paper, so much that the noise crosses the ink's threshold in
    chains); the average evens the noise out, and its own blur of the edge only makes the
    paper darker beside it."""
    rect = cv2.getStructuringElement(cv2.MORPH_RECT, (size, size))
    closed = cv2.morphologyEx(gray, cv2.MORPH_CLOSE, rect, borderType=cv2.BORDER_REPLICATE)
    step = cell // EDGE_CELLS
    if step < 2:
        return closed
    h, w = gray.shape
    small = shrink(gray, (max(1, w // step), max(1, h // step)), step)
    rect = cv2.getStructuringElement(cv2.MORPH_RECT, (size // step | 1, size // step | 1))
    even = cv2.morphologyEx(small, cv2.MORPH_CLOSE, rect, borderType=cv2.BORDER_REPLICATE)
    return cv2.min(closed, grow(even, (h, w), step, cv2.INTER_LINEAR))


def quantile(small: np.ndarray, q: float, mask: np.ndarray | None = None) -> float:
    """The ``q`` quantile of a uint8 image (of its pixels under a uint8 ``mask``), from its
    histogram (a tenth of the time of ``np.percentile`` on the small background images)."""
    counts = cv2.calcHist([small], [0], mask, [256], [0, 256]).ravel().cumsum()
    return float(np.searchsorted(counts, q * counts[-1]))


def shrink(image: np.ndarray, size: tuple, cell: int) -> np.ndarray:
    """``image`` area-averaged to ``size`` (w, h) cells of ``cell`` pixels: the whole cells
    only, which OpenCV averages several times faster than a fractional grid."""
    w, h = size
    return cv2.resize(image[: h * cell, : w * cell], size, interpolation=cv2.INTER_AREA)


def grow(small: np.ndarray, shape: tuple, cell: int, interpolation: int) -> np.ndarray:
    """A ``shrink``-ed estimate back at full ``shape`` (h, w): cells scaled up, the last
    partial cells repeated."""
    out = np.empty(shape, small.dtype)
    bh, bw = small.shape[0] * cell, small.shape[1] * cell
    cv2.resize(small, (bw, bh), dst=out[:bh, :bw], interpolation=interpolation)
    out[bh:] = out[bh - 1]
    out[:, bw:] = out[:, bw - 1 : bw]
    return out


def _hard_edges(closed: np.ndarray, paper: float) -> np.ndarray:
    """uint8 0/1 mask of the cells within ``EDGE_BAND`` cells of a sharp step in the small
    background estimate (a hard shadow's edge): neighbouring cells differ by more than
    ``EDGE_STEP`` of the paper's brightness ``paper`` along ``EDGE_LENGTH`` of the frame.
    Vignetting and soft shadows change slowly; dense text left in the estimate makes short
    steps."""
    step = cv2.morphologyEx(closed, cv2.MORPH_GRADIENT, KERNEL3, borderType=cv2.BORDER_REPLICATE)
    edges = (step > EDGE_STEP * paper).astype(np.uint8)
    if not edges.any():
        return edges
    n, labels, stats, _ = cv2.connectedComponentsWithStats(edges, connectivity=8)
    long = np.maximum(stats[:, 2], stats[:, 3]) >= EDGE_LENGTH * min(closed.shape)
    long[0] = False
    edges = long[labels].astype(np.uint8)
    return cv2.dilate(edges, np.ones((2 * EDGE_BAND + 1, 2 * EDGE_BAND + 1), np.uint8))


def _darkest(small: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """A small copy of the photo: its per-pixel darkest channel, strokes closed away."""
    if small.ndim == 2:
        return _closed(small, kernel)
    blue, green, red = cv2.split(small)[:3]
    return _closed(cv2.min(cv2.min(blue, green), red), kernel)


def _chromaticity(small: np.ndarray, kernel: np.ndarray) -> tuple:
    """A small copy of the photo's chromaticity, strokes closed away: each channel's part
    of their sum, three float32 planes (no median filter: on three channels it takes five
    times as long as the closing, and a desk is large)."""
    colour = np.ascontiguousarray(small[..., :3])
    closed = cv2.morphologyEx(colour, cv2.MORPH_CLOSE, kernel, borderType=cv2.BORDER_REPLICATE)
    planes = [c.astype(np.float32) for c in cv2.split(closed)]
    total = cv2.max(planes[0] + planes[1] + planes[2], 1.0)
    return tuple(cv2.divide(p, total) for p in planes)


def _closed(small: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """One channel of the small copy, strokes closed away and noise filtered."""
    closed = cv2.morphologyEx(small, cv2.MORPH_CLOSE, kernel, borderType=cv2.BORDER_REPLICATE)
    return cv2.medianBlur(closed, 5)


def _table_region(colour: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """Large dark regions (a desk or a table at the frame; a laptop's keys, at the frame or a
    solid block inside it, not a large letter's thick strokes) and, once such a desk is in
    view, smaller ones at the frame (down to ``KEY_AREA`` of its area: the desk seen between
    fingers that hold the sheet) that end in a sharp step (``_sharp_edge``), uint8 0/1,
    slightly grown: no text can be read on them. Dark is below ``TABLE_LEVEL`` of the
    paper's brightness, or of the brightest paper within ``LOCAL_PAPER`` of the frame's
    shorter side (a shadow over most of the page dims the paper's usual level, not the desk
    beside its lit part), or a lighter desk of a colour of its own (``_coloured_desk``).
    Dark is measured on the photo's darkest channel (``colour``: its small copy), where a
    brown desk is much darker than white paper. Dark regions close together are one
    (``_grouped``: a laptop's keys), and a desk's small holes are desk (``_filled``). Small
    regions at the frame are desk only beside a large one: alone they are as likely a
    keyboard's keys cut by the frame, which ``preprocess._scenery`` drops whole.
    ``kernel``: the background closing's, in cells."""
    background = _darkest(colour, kernel)
    paper_level = quantile(background, 0.9)
    reach = int(LOCAL_PAPER * min(background.shape)) | 1
    local = cv2.dilate(background, cv2.getStructuringElement(cv2.MORPH_RECT, (reach, reach)))
    dark = background < TABLE_LEVEL * np.maximum(paper_level, local)
    if colour.ndim == 3 and _dim_frame(background, paper_level):
        dark |= _coloured_desk(background, _chromaticity(colour, kernel), paper_level)
    dark = dark.astype(np.uint8)
    min_area = DESK_AREA * dark.size
    if cv2.countNonZero(dark) < min_area:  # no region large enough: skip the labelling (0.3 ms)
        return np.zeros_like(dark)
    size = KEY_GAP * kernel.shape[0] | 1
    group = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (size, size))
    dark = _grouped(dark, group, KEY_AREA * min_area)
    n, labels, stats, _ = cv2.connectedComponentsWithStats(dark, connectivity=4)
    x, y, bw, bh, area = (stats[:, i] for i in range(5))
    h, w = dark.shape
    at_frame = (x == 0) | (y == 0) | (x + bw == w) | (y + bh == h)
    solid = area >= SOLID_FILL * bw * bh  # inside the frame: a block of keys, not a letter
    large = area >= min_area
    keep = large & (at_frame | solid)
    keep[0] = False
    for i in np.nonzero(keep)[0]:
        keep[i] = _sharp_edge(background, labels == i, paper_level)
    if keep.any():  # a desk in view: its pieces at the frame that fingers cut off are desk too
        pieces = at_frame & ~large & (area >= KEY_AREA * min_area)
        pieces[0] = False
        for i in np.nonzero(pieces)[0]:
            keep[i] = _sharp_edge(background, labels == i, paper_level)
    table = np.take(keep.astype(np.uint8), labels)  # faster than keep[labels]
    return cv2.dilate(_filled(table, min_area), KERNEL3)


def _dim_frame(background: np.ndarray, paper_level: float) -> bool:
    """Whether enough of the frame's border is under ``DESK_LEVEL`` of the paper's light for
    a desk that runs along it (``FRAME_RUN`` of the side of a square of ``DESK_AREA``): the
    cheap test before the desk's colour is looked at."""
    border = np.concatenate(_sides(background))
    least = FRAME_RUN * np.sqrt(DESK_AREA * background.size)
    return np.count_nonzero(border < DESK_LEVEL * paper_level) >= least


def _sides(cells: np.ndarray) -> tuple:
    """The frame's four sides of a small copy: its top and bottom rows, left and right
    columns."""
    return cells[0], cells[-1], cells[:, 0], cells[:, -1]


def _coloured_desk(background: np.ndarray, chromaticity: tuple, paper_level: float) -> np.ndarray:
    """Cells of a desk lighter than ``TABLE_LEVEL`` (a light wooden one): under
    ``DESK_LEVEL`` of the paper's light, their chromaticity ``DESK_HUE`` or more from the
    paper's (its median over the cells at ``PAPER_CELLS`` of its light or more, to 1/255:
    a shadow or a dim corner keeps the paper's colour, a brown desk has its own), in regions
    that run along the frame (``_along_frame``)."""
    paper = (background >= PAPER_CELLS * paper_level).astype(np.uint8)
    own = [quantile((plane * 255).astype(np.uint8), 0.5, paper) / 255 for plane in chromaticity]
    off = _hue_distance(chromaticity, own) >= DESK_HUE**2
    off = (off & (background < DESK_LEVEL * paper_level)).astype(np.uint8)
    if not cv2.countNonZero(off):
        return off > 0
    return _along_frame(cv2.morphologyEx(off, cv2.MORPH_CLOSE, KERNEL3), chromaticity)


def _hue_distance(chromaticity: tuple, colour) -> np.ndarray:
    """Per cell, the squared distance of its chromaticity from ``colour``."""
    return sum((plane - value) ** 2 for plane, value in zip(chromaticity, colour, strict=True))


def _along_frame(cells: np.ndarray, chromaticity: tuple, depth: int = DESK_COLOURS) -> np.ndarray:
    """The parts of the regions of ``cells`` (uint8 0/1) that run along one side of the frame
    for ``FRAME_RUN`` of their longer side (a desk beyond the sheet's edge, not a line marked
    with a highlighter or a hand reaching in) and have the colour they have on the frame's
    border (within ``DESK_HUE``: a highlighted line that reaches the sheet's edge is no part
    of the desk beyond it); the rest of such a region is looked at again the same way, up to
    ``depth`` colours (a light desk beside a dark table)."""
    desk = np.zeros(cells.shape, bool)
    n, labels, stats, _ = cv2.connectedComponentsWithStats(cells, connectivity=4)
    run = np.max([np.bincount(side, minlength=n) for side in _sides(labels)], axis=0)
    along = run >= FRAME_RUN * np.maximum(stats[:, 2], stats[:, 3])
    along[0] = False
    for i in np.flatnonzero(along):
        region = labels == i
        rim = np.zeros_like(region)
        rim[[0, -1]], rim[:, [0, -1]] = region[[0, -1]], region[:, [0, -1]]
        colour = [float(np.median(plane[rim])) for plane in chromaticity]
        same = region & (_hue_distance(chromaticity, colour) < DESK_HUE**2)
        desk |= same
        if depth > 1 and (region & ~same).any():
            desk |= _along_frame((region & ~same).astype(np.uint8), chromaticity, depth - 1)
    return desk


def _filled(table: np.ndarray, min_area: float) -> np.ndarray:
    """``table`` with its holes under ``min_area`` cells filled: what lies on a desk, or the
    light legend of a laptop's key, is no paper; a sheet on the desk is larger."""
    if not table.any():
        return table
    n, labels, stats, _ = cv2.connectedComponentsWithStats(1 - table, connectivity=4)
    x, y, bw, bh, area = (stats[:, i] for i in range(5))
    h, w = table.shape
    hole = (x > 0) & (y > 0) & (x + bw < w) & (y + bh < h) & (area < min_area)
    hole[0] = False  # label 0 is the table itself
    return table | np.take(hole.astype(np.uint8), labels)


def _grouped(dark: np.ndarray, kernel: np.ndarray, min_area: float) -> np.ndarray:
    """The dark regions of at least ``min_area`` cells (a laptop's keys; not the dim corner of
    a sheet), closed by ``kernel`` into one region where only gaps narrower than it part them
    (the lighter body between the keys)."""
    n, labels, stats, _ = cv2.connectedComponentsWithStats(dark, connectivity=4)
    large = stats[:, 4] >= min_area
    large[0] = False
    return cv2.morphologyEx(np.take(large.astype(np.uint8), labels), cv2.MORPH_CLOSE, kernel)


def _sharp_edge(background: np.ndarray, region: np.ndarray, paper_level: float) -> bool:
    """Whether a dark region ends in a step up to paper (a desk's edge), not in a slow rise
    (vignetting, the soft edge of a shadow): the background ``EDGE_RING`` cells outside it is
    back above ``EDGE_LEVEL`` of the paper's brightness, or ``EDGE_RATIO`` times as bright as
    the region's median (a shadow across the desk and the page dims the paper around it too;
    the median: a laptop's keys, not the lighter gaps between them)."""
    near, far = (np.ones((2 * r + 1, 2 * r + 1), np.uint8) for r in EDGE_RING)
    cells = region.astype(np.uint8)
    ring = (cv2.dilate(cells, far) - cv2.dilate(cells, near)) > 0
    if not ring.any():
        return True
    around = float(background[ring].mean())
    level = float(np.median(background[region]))
    return around >= EDGE_LEVEL * paper_level or around >= EDGE_RATIO * level
