"""Ruled lines out of an ink mask: notebook rules, margins, form lines, squared paper and the
boxes drawn around characters on forms, slightly tilted.

``remove_rules`` works only inside the boxes of components long enough to hold a rule, so a page
without rules costs nothing. In each box, per direction: the rule's tilt is measured from the
ink's projection profile (up to ``MAX_TILT_DEG``), the box is sheared level, long thin runs are
found by a morphological opening, and sheared back. Rules that this one tilt does not follow
all along (a bent page curves them, perspective gives each its own slope) leave a long stretch
of thin ink unfollowed; only then is a box several rule lengths long searched again, in
straight pieces half a rule long at every tilt, joined into each rule's course and narrowed
to its pen (straight rules cost one cheap check). Rule pixels that are much darker than the
rule itself are ink lying on the rule and stay, unless they run on along it for a rule's
length (an underline drawn with the pen along a printed rule); strokes that crossed the rule
are bridged again.
Squared paper (``is_grid``) is searched as one box, the whole page, and there a rule may be
broken by small gaps, and rows and columns inked along most of their length count as rules.
A faint rule that the threshold broke into pieces shorter than any rule is in no such box:
``broken_rules`` finds it from thin pieces that vote for one straight course (a Hough
transform over the components' boxes, cheap), and ``remove_broken`` takes out its pieces and
its pen's width of ink along that course, as for the rules above; so is a fold at a steeper
tilt that the rules cut into pieces (``_slanted_broken``: the same vote in turned frames).
A straight line at such a tilt left whole, a rule's length long (a fold, a line drawn across
the page), is found in its component by ``remove_slanted`` and goes the same way.
"""

from __future__ import annotations

from itertools import product
from typing import NamedTuple

import cv2
import numpy as np

MAX_TILT_DEG = 8.0
TILT_STEP_DEG = 0.75  # the opening tolerates a residual tilt of about thickness / length
SLANT_SEARCH_DEG = 6.0  # a slanted line's tilt is looked for this far either way of its axis
TURN_REACH = 1.5  # a frame turned every 2 MAX_TILT_DEG takes pieces this many MAX_TILT_DEG off
BENT_SPAN = 3  # rules bend away from one tilt over this many rule lengths (less: a word)
PIECE = 0.5  # a bent rule is followed in straight pieces this part of a rule's length long
BENT_STEP_DEG = 1.5  # ... at tilts this far apart (on ink thickened a row each side, that fits)
POOL = 8  # columns per cell where rules found are compared with thin ink: cheap, rules are long
INK_ON_RULE = 1.4  # a rule pixel this much darker than most of the rule's core is ink
MARGIN = 3  # pixels around a component's box
WALL_BAND = 0.3  # a frame's level sides are found in its top and bottom this part
WALL_SPAN = 0.8  # ... whose walls are vertical runs this part of the rules' distance long
FRAME_SIDE = 0.85  # a component with ink along this part of each of its 4 sides is a frame
LEVEL_FRAME = 2.0  # ... looked at levelled too when this many times as wide as high
RUN_GAP = 5  # a grid's rule may be broken by gaps narrower than this many pixels
ROW_FILL = 0.4  # a row of a grid inked along this part of its length is a rule
GRID_RULES = 2  # a grid has at least this many such rows, and as many such columns
GRID_CELL = 8  # pixels per cell side when a page is looked at for a grid
BROKEN_PIECES = 3  # a rule that a faint threshold broke leaves at least this many pieces ...
BROKEN_SPAN = BENT_SPAN  # ... spread over this many rule lengths (more than a word's dashes)
COURSE_BIN = 2  # pixels per bin when the pieces vote for a course (two bins are one course)
ON_COURSE = 2.0  # a piece's centre lies this many pixels from its rule's course at most
REACH = 0.5  # a broken rule goes on this part of a rule's length past its last loose pieces
WALL_WIDTH = 0.6  # a bar at most this many text heights wide (the stubs of the sides kept) ...
WALL_PEN = 0.35  # ... its ink this many wide on average ...
WALL_HEIGHT = 0.6  # ... and at least this many tall is a box's wall when both its ends ...
CORNER_REACH = 0.5  # ... meet a rule taken out that runs this many text heights to one side
CORNER_SIDE = (0.2, 0.6)  # (rule ink in at most / at least this part of the columns each side)
CELL_WIDTH = 0.3  # a wall between a box's cells is at most this many text heights wide
END_WALL, CELL_WALL, FRAME = 1, 2, 3  # a box's end, a wall between its cells, a frame
TICKS = 3  # a comb's line has at least this many ticks ...
TICK_STEP = 0.25  # ... each this many text heights a pitch above or below the one before ...
TICK_TOL = 0.2  # ... each gap within this part of a pitch of a whole number of pitches ...
TICK_SKIP = 3  # ... at most this many (a tick a letter touches is part of the letter)
LINE_ON = 0.8  # a comb's line runs on this part of a pitch past its last tick: one is hidden


def remove_rules(
    mask: np.ndarray,
    darkness: np.ndarray,
    boxes: np.ndarray,
    length: int,
    thin: int,
    frames: np.ndarray = (),
    grid: bool = False,
) -> np.ndarray:
    """``mask`` (uint8 0/1) without the runs at least ``length`` long and under ``thin`` thick
    found inside ``boxes`` (x, y, w, h rows), and without the sides of the boxes drawn around
    characters on a form, ``frames`` (x, y, w, h rows of such components, ``is_frame``);
    ``darkness`` tells ink on a rule from the rule. ``grid``: the boxes hold a grid of
    rules (squared paper): the thin ink of rows and columns inked along ``ROW_FILL`` of a
    box goes too, however broken."""
    out = mask.copy()
    for box in np.asarray(boxes, dtype=np.int64).reshape(-1, 4):
        roi, dark = _patch(out, darkness, box)
        if box[2] >= length:
            roi[:] = _remove_level(roi, dark, length, thin, grid, bent=True)
        if box[3] >= length:
            roi[:] = _remove_level(roi.T, dark.T, length, thin, grid, bent=True).T
    for box in np.asarray(frames, dtype=np.int64).reshape(-1, 4):
        roi, dark = _patch(out, darkness, box)
        before = roi.copy()
        slope = _tilt(roi)
        side = max(3, min(int(WALL_SPAN * box[2]), length))
        roi[:] = _remove_level(roi, dark, side, thin, slope=slope)
        wall, pen = _walls(before, roi)
        if wall:  # upright to the sides (a letter's slanted stem is no wall); bridged only
            # across the walls' own width: letters sit close to them
            sides, level = cv2.subtract(before, roi), roi.copy()
            roi[:] = _remove_level(roi.T, dark.T, wall, min(thin, pen + 2), slope=-slope).T
            roi |= _off_sides(cv2.subtract(level, roi), sides)
    return out


def _off_sides(taken: np.ndarray, sides: np.ndarray) -> np.ndarray:
    """The runs of ``taken`` (a frame's walls taken out, uint8 0/1) that meet none of its
    ``sides`` (taken out before them): a 1 as tall as the wall, standing clear of the sides."""
    n, pieces, _, _ = cv2.connectedComponentsWithStats(taken, connectivity=8)
    if n <= 1:
        return taken
    near = cv2.dilate(sides, np.ones((5, 5), np.uint8)) > 0
    meets = np.zeros(n, bool)
    meets[np.unique(pieces[near & (taken > 0)])] = True
    meets[0] = True
    return (~meets[pieces]).view(np.uint8)


class Course(NamedTuple):
    """A straight rule that a faint threshold broke into pieces shorter than any rule."""

    ids: np.ndarray  # the label numbers of its pieces
    upright: bool  # it runs down the page: x = offset + slope * y
    slope: float
    offset: float
    ends: tuple[int, int]  # where it starts and ends along its course (``REACH`` beyond
    # its first and last loose pieces: pieces that cross another rule are not loose)
    pen: float  # its pieces' median thickness


def broken_rules(
    stats: np.ndarray, pieces: np.ndarray, length: int, pen: float, slanted: bool = True
) -> list:
    """The rules (``Course``) that a faint threshold broke into pieces shorter than any rule,
    among the components ``pieces`` (a boolean per row of ``stats``: x, y, w, h, area). A
    piece is at most ``pen`` thick (its area per pixel of length), straight along either
    direction at a tilt up to ``MAX_TILT_DEG``; a rule is ``BROKEN_PIECES`` or more of them
    on one straight course (``_courses``), together at least ``length`` long, spread over
    ``BROKEN_SPAN`` rule lengths. ``slanted``: courses at steeper tilts too (a fold,
    ``_slanted_broken``)."""
    x, y, w, h, area = (stats[:, i].astype(np.float64) for i in range(5))
    slant = np.tan(np.deg2rad(MAX_TILT_DEG))
    rules = []
    for upright, (along, size, across, side) in enumerate(((x, w, y, h), (y, h, x, w))):
        ids = np.flatnonzero(pieces & (area <= pen * size) & (side <= pen + slant * size))
        if ids.size < BROKEN_PIECES or size[ids].sum() < length:
            continue
        start, end = along[ids], along[ids] + size[ids]
        centres = ((start + end) / 2, across[ids] + side[ids] / 2)
        for on, slope, offset in _courses(*centres, size[ids], length):
            ends = (int(start[on].min()), int(end[on].max()) - 1)
            if ends[1] - ends[0] >= BROKEN_SPAN * length:
                ends = (ends[0] - int(REACH * length), ends[1] + int(REACH * length))
                thick = float(np.median(area[ids[on]] / size[ids[on]]))
                rules.append(Course(ids[on], bool(upright), slope, offset, ends, thick))
    return rules + _slanted_broken(stats, pieces, length, pen) if slanted else rules


def _slanted_broken(stats: np.ndarray, pieces: np.ndarray, length: int, pen: float) -> list:
    """The broken rules (``Course``) among ``pieces`` at tilts more than ``MAX_TILT_DEG``
    from level and from upright: a fold across ruled paper, cut by the rules into pieces
    between them. A piece is at most ``pen`` thick along its box's diagonal; the courses are
    looked for as level ones are (``_courses``), in frames turned every 2 ``MAX_TILT_DEG``
    degrees, among the pieces whose diagonal lies near that turn."""
    x, y, w, h, area = (stats[:, i].astype(np.float64) for i in range(5))
    slant = np.tan(np.deg2rad(MAX_TILT_DEG))
    size = np.hypot(w, h)
    steep = (np.minimum(w, h) > pen + slant * np.maximum(w, h)) & (area <= pen * size)
    ids = np.flatnonzero(pieces & steep)
    if ids.size < BROKEN_PIECES or size[ids].sum() < length:
        return []
    diagonal = np.degrees(np.arctan2(h - pen, w - pen))
    cx, cy = x + w / 2, y + h / 2
    rules, left = [], np.ones(len(stats), bool)
    for turn, sign in product(np.arange(2 * MAX_TILT_DEG, 90.0, 2 * MAX_TILT_DEG), (1, -1)):
        near = ids[(np.abs(diagonal[ids] - turn) <= TURN_REACH * MAX_TILT_DEG) & left[ids]]
        if near.size < BROKEN_PIECES:
            continue
        angle = np.deg2rad(sign * turn)
        along = cx[near] * np.cos(angle) + cy[near] * np.sin(angle)
        across = cy[near] * np.cos(angle) - cx[near] * np.sin(angle)
        for on, slope, offset in _courses(along, across, size[near], length):
            if np.ptp(along[on]) + size[near[on]].mean() >= BROKEN_SPAN * length:
                rules.append(_turned_course(near[on], stats, angle, slope, offset, length))
                left[near[on]] = False
    return rules


def _turned_course(
    ids: np.ndarray, stats: np.ndarray, turn: float, slope: float, offset: float, length: int
) -> Course:
    """A ``Course`` in the photo's axes, level or upright whichever it is nearer, as
    ``remove_broken`` draws it, from one found on the pieces ``ids`` (rows of ``stats``) in
    a frame turned by ``turn`` radians (``across = offset + slope * along`` there); it runs
    ``REACH`` of a rule's ``length`` past its pieces."""
    angle = turn + np.arctan(slope)
    x0, y0 = -offset * np.sin(turn), offset * np.cos(turn)  # its point at along = 0
    upright = abs(np.cos(angle)) < abs(np.sin(angle))
    x, y, w, h, area = (stats[ids, i].astype(np.float64) for i in range(5))
    if upright:
        tilt = 1.0 / np.tan(angle)
        base, start, end = x0 - tilt * y0, y.min(), (y + h).max()
    else:
        tilt = np.tan(angle)
        base, start, end = y0 - tilt * x0, x.min(), (x + w).max()
    reach = int(REACH * length)
    ends = (int(start) - reach, int(end) + reach)
    thick = float(np.median(area / np.hypot(w, h)))
    return Course(ids, bool(upright), float(tilt), float(base), ends, thick)


def _courses(along: np.ndarray, across: np.ndarray, size: np.ndarray, length: int) -> list:
    """The straight courses of pieces (centres ``along`` and ``across`` a course, ``size``
    long): ``BROKEN_PIECES`` or more together ``length`` long; per course, the indices of its
    pieces, its slope and offset (``across = offset + slope * along``). The pieces vote with
    their length for a course at each tilt up to ``MAX_TILT_DEG`` (a Hough transform); the
    course with most votes is fitted to its pieces, which leave the vote, and so on while a
    course gets ``length`` votes."""
    steps = int(MAX_TILT_DEG / TILT_STEP_DEG)
    slopes = np.tan(np.deg2rad(np.arange(-steps, steps + 1) * TILT_STEP_DEG))
    bins = np.floor((across[None] - slopes[:, None] * along[None]) / COURSE_BIN).astype(np.int64)
    bins -= bins.min()
    width = int(bins.max()) + 2
    cells = (np.arange(slopes.size)[:, None] * width + bins).ravel()
    left, courses = np.ones(along.size, bool), []
    while True:
        weights = np.where(left, size, 0.0)
        votes = np.bincount(cells, np.tile(weights, slopes.size), slopes.size * width)
        votes = votes.reshape(slopes.size, width)
        votes = votes[:, :-1] + votes[:, 1:]  # a course on the edge of two bins
        tilt, row = np.unravel_index(int(np.argmax(votes)), votes.shape)
        if votes[tilt, row] < length:
            return courses
        near = left & (bins[tilt] >= row) & (bins[tilt] <= row + 1)
        slope, offset = _fitted(along[near], across[near], size[near], slopes[tilt])
        on = left & (np.abs(across - offset - slope * along) <= ON_COURSE)
        left &= ~(near | on)
        if np.count_nonzero(on) >= BROKEN_PIECES and size[on].sum() >= length:
            courses.append((on, slope, offset))


def _fitted(along: np.ndarray, across: np.ndarray, size: np.ndarray, slope: float) -> tuple:
    """Slope and offset of the straight course through pieces (least squares weighted by
    their ``size``; at ``slope`` when they share one centre ``along``)."""
    mean_along = np.average(along, weights=size)
    mean_across = np.average(across, weights=size)
    spread = np.average((along - mean_along) ** 2, weights=size)
    if spread > 0:
        slope = np.average((along - mean_along) * (across - mean_across), weights=size) / spread
    return float(slope), float(mean_across - slope * mean_along)


def remove_broken(
    mask: np.ndarray,
    darkness: np.ndarray,
    labels: np.ndarray,
    courses: list,
    thin: int,
    length: int,
) -> np.ndarray:
    """``mask`` (uint8 0/1) without the rules that the threshold broke (``courses``, from
    ``broken_rules``, numbering their pieces as ``labels`` does): their pieces, and the ink
    within their pen of each course where it crosses other ink, which is bridged again and
    kept where it is much darker than the rule for less than a rule's ``length``
    (``_take_out``)."""
    out = mask.copy()
    for upright in (False, True):
        band = np.zeros(out.T.shape if upright else out.shape, np.uint8)
        pieces = np.zeros(int(labels.max()) + 1, np.uint8)
        for c in courses:
            if c.upright == upright:
                ends = [(a, round(c.offset + c.slope * a)) for a in c.ends]
                cv2.line(band, *ends, 1, round(c.pen) + 2)
                pieces[c.ids] = 1
        if not pieces.any():
            continue
        roi, dark, ids = (out.T, darkness.T, labels.T) if upright else (out, darkness, labels)
        roi[:] = _take_out(roi, dark, (band | np.take(pieces, ids)) & roi, thin, length)
    return out


def box_walls(
    removed: np.ndarray, stats: np.ndarray, text_h: float, thin: int, paired: bool = False
) -> np.ndarray:
    """Per component (``stats`` rows): ``END_WALL`` when it is an end wall of a box drawn
    around words whose level sides were taken out as rules (``removed``: their pixels, uint8
    0/1) but which is no frame (``is_frame``: a letter of the next line touches it),
    ``CELL_WALL`` when it is a wall between the cells of such a box (a form's comb), else 0.
    A wall is a bar (``WALL_WIDTH`` by ``WALL_HEIGHT`` text heights, its ink ``WALL_PEN``
    wide on average, as the stubs of the sides may stay) whose two ends each meet such a side
    (``_corners``): an end wall's sides run to the same one side at both ends; a cell's wall, no
    wider than ``CELL_WIDTH`` text heights, touches sides running both ways at both ends,
    beside an end wall (its height overlapping the bar's by half). A 1 standing on a ruled
    line and reaching the next has the rules run past it both ways, and no end wall beside
    it. ``paired`` (the text height was measured once the rules were out: every letter
    touched one): an end wall only facing another (the box's other end, by half its height),
    as the first letter of a ruled line, where the rules begin, does not."""
    kinds = np.zeros(len(stats), np.int8)
    x, y, w, h, area = (stats[:, k] for k in range(5))
    bars = (
        (w <= WALL_WIDTH * text_h) & (area <= WALL_PEN * text_h * h) & (h >= WALL_HEIGHT * text_h)
    )
    bars[0] = False
    inner, side = [], np.zeros(len(stats), np.int8)  # side: which way an end wall's sides run
    for i in np.flatnonzero(bars):
        corners = _corners(removed, stats[i], text_h, thin)
        if corners[0] == corners[1] in (1, -1):
            kinds[i], side[i] = END_WALL, corners[0]
        elif corners == (2, 2) and w[i] <= CELL_WIDTH * text_h and _meets(removed, stats[i]):
            inner.append(i)
    if paired:
        for i in np.flatnonzero(kinds == END_WALL):
            facing = np.flatnonzero(side == -side[i])
            facing = facing[(x[facing] - x[i]) * side[i] < 0]  # on the side its sides run to
            if not np.any(_overlap(y[facing], h[facing], y[i], h[i]) >= 0.5 * h[i]):
                kinds[i] = 0
    ends = np.flatnonzero(kinds == END_WALL)
    for i in inner:
        if np.any(_overlap(y[ends], h[ends], y[i], h[i]) >= 0.5 * h[i]):
            kinds[i] = CELL_WALL
    return kinds


def _overlap(tops: np.ndarray, heights: np.ndarray, top: int, height: int) -> np.ndarray:
    """How many rows each of the spans ``tops`` / ``heights`` shares with one span."""
    return np.minimum(tops + heights, top + height) - np.maximum(tops, top)


def comb_ticks(removed: np.ndarray, stats: np.ndarray, text_h: float) -> tuple:
    """Per component (``stats`` rows): ``END_WALL`` or ``CELL_WALL`` when it is a tick of a
    form's comb whose line was taken out as a rule (``removed``: its pixels, uint8 0/1): the
    short upright marks, under ``WALL_HEIGHT`` text heights and no wider than ``CELL_WIDTH``,
    standing on the line (or hanging from it) that part its cells; ``TICKS`` or more of them
    in a row at a steady pitch of at least ``WALL_HEIGHT`` text heights (``_steady``). A tick
    the line runs on from both ways stands between two cells, the others end the comb; else
    0. And the boxes where a comb skips ticks, that letters touch (``_skipped``)."""
    kinds = np.zeros(len(stats), np.int8)
    x, y, w, h = (stats[:, k] for k in range(4))
    short = (h < WALL_HEIGHT * text_h) & (w <= CELL_WIDTH * text_h) & (h >= 3)
    short[0] = False
    foot = {}  # tick -> the row where it meets the line
    for i in np.flatnonzero(short):
        below = removed[y[i] + h[i] : y[i] + h[i] + 2, x[i] : x[i] + w[i]]
        above = removed[max(0, y[i] - 2) : y[i], x[i] : x[i] + w[i]]
        if below.any() != above.any():
            foot[i] = y[i] + h[i] if below.any() else y[i]
    runs: list[list[int]] = []  # the ticks of each line, left to right
    for i in sorted(foot, key=lambda i: x[i]):
        run = next((run for run in runs if _steady([*run, i], x, foot, text_h)), None)
        if run is None:
            runs.append([i])
        else:
            run.append(i)
    touched = []
    for run in runs:
        if len(run) < TICKS:
            continue
        for k in run:  # the line runs on both ways from a tick between two cells
            foot_box = (x[k], foot[k] - 1, w[k], 1)
            kinds[k] = CELL_WALL if _corners(removed, foot_box, text_h, 2)[0] == 2 else END_WALL
        touched += _skipped(removed, run, stats, foot)
    return kinds, np.array(touched, np.int64).reshape(-1, 4)


def _skipped(removed: np.ndarray, run: list[int], stats: np.ndarray, foot: dict) -> list:
    """The boxes (x, y, w, h) where a comb's ticks ``run`` (left to right; ``foot``: the row
    where each meets the line) skip one or more, and a pitch past its first and last where
    the line (``removed``) runs on that far: ticks a letter touches, as wide and as tall as
    the run's median tick, on the line."""
    x, w, h = stats[run, 0], stats[run, 2], stats[run, 3]
    wide, tall = int(np.median(w)), int(np.median(h))
    centres = x + w / 2
    feet = np.array([foot[i] for i in run], np.float64)
    pitch = np.diff(centres).min()
    counts = np.round(np.diff(centres) / pitch).astype(int)
    places = [  # (centre, foot row) of each tick a letter hides
        (a + (b - a) * j / n, fa + (fb - fa) * j / n)
        for a, b, fa, fb, n in zip(
            centres[:-1], centres[1:], feet[:-1], feet[1:], counts, strict=True
        )
        for j in range(1, n)
    ]
    for end, step in ((0, -1), (-1, 1)):
        cx, row = centres[end] + step * pitch, int(feet[end])
        lo, hi = (max(0, int(v)) for v in sorted((cx, centres[end])))
        line = removed[max(0, row - 1) : row + 2, lo:hi]
        if line.size and np.count_nonzero(line.any(axis=0)) >= LINE_ON * pitch:
            places.append((cx, feet[end]))
    down = feet[0] >= stats[run[0], 1] + stats[run[0], 3]  # standing on the line
    return [
        (int(round(cx - wide / 2)) - 1, int(round(row)) - (tall if down else 0), wide + 2, tall)
        for cx, row in places
    ]


def _steady(run: list[int], x: np.ndarray, foot: dict, text_h: float) -> bool:
    """Whether the ticks ``run`` (left to right) can be one comb's (``comb_ticks``): each gap
    a whole number of pitches (a tick a letter touches is part of the letter), at most
    ``TICK_SKIP``, within ``TICK_TOL`` of a pitch, and each tick at most ``TICK_STEP`` text
    heights a pitch above or below the one before."""
    gaps = np.diff(x[run]).astype(np.float64)
    pitch = gaps.min()
    if pitch < WALL_HEIGHT * text_h:
        return False
    steps = gaps / pitch
    whole = np.round(steps)
    if np.any(np.abs(steps - whole) > TICK_TOL) or whole.max() > TICK_SKIP:
        return False
    return abs(foot[run[-1]] - foot[run[-2]]) <= TICK_STEP * text_h * whole[-1]


def frame_walls(removed: np.ndarray, frames: np.ndarray, text_h: float, thin: int) -> np.ndarray:
    """The boxes drawn around characters (``frames``: x, y, w, h rows) that were taken out
    with their sides (``removed``: their pixels, uint8 0/1) and the walls between their cells,
    as x, y, w, h, kind rows (``FRAME``, ``CELL_WALL``): a wall is an upright run of a frame's
    removed ink at least ``WALL_HEIGHT`` text heights tall whose ends meet sides running
    both ways (``_corners``)."""
    tall = max(3, int(round(WALL_HEIGHT * text_h)))
    out = []
    for box in np.asarray(frames, dtype=np.int64).reshape(-1, 4):
        x0, y0, w0, h0 = (int(v) for v in box)
        own = removed[y0 : y0 + h0, x0 : x0 + w0]
        upright = cv2.morphologyEx(own, cv2.MORPH_OPEN, np.ones((tall, 1), np.uint8))
        _, _, stats, _ = cv2.connectedComponentsWithStats(upright, connectivity=8)
        for x, y, w, h, _ in stats[1:].tolist():
            if w <= WALL_WIDTH * text_h and _corners(own, (x, y, w, h), text_h, thin) == (2, 2):
                out.append((x0 + x, y0 + y, w, h, CELL_WALL))
        x, y, w, h = cv2.boundingRect(own)  # its sides and walls: not a letter touching it
        out.append((x0 + x, y0 + y, w, h, FRAME))
    return np.array(out, np.float64).reshape(-1, 5)


def _corners(removed: np.ndarray, bar, text_h: float, thin: int) -> tuple[int, int]:
    """At the top and the bottom end of the upright ``bar`` (x, y, w, h): 1 when ``removed``
    ink (a box's side) runs ``CORNER_REACH`` text heights to its left only, -1 to its right
    only (ink in at least / at most the part ``CORNER_SIDE`` of those columns), 2 both ways,
    0 neither."""
    x, y, w, h = (int(v) for v in bar[:4])
    reach = max(3, int(round(CORNER_REACH * text_h)))
    rows, cols = removed.shape
    low, high = CORNER_SIDE
    out = []
    for end in (y, y + h - 1):
        band = removed[max(0, end - thin) : min(rows, end + thin + 1)]
        left = np.count_nonzero(band[:, max(0, x - reach) : x].any(axis=0)) / reach
        right = np.count_nonzero(band[:, x + w : min(cols, x + w + reach)].any(axis=0)) / reach
        if min(left, right) >= high:
            out.append(2)
        else:
            out.append(int(left >= high and right <= low) - int(right >= high and left <= low))
    return out[0], out[1]


def _meets(removed: np.ndarray, box) -> bool:
    """Whether the bar ``box`` (x, y, w, h) touches ``removed`` ink at both ends (within two
    pixels of its end rows): a wall runs from side to side (the sides' pixels where it
    crosses them may stay with it), a letter in a cell stands clear of them."""
    x, y, w, h = (int(v) for v in box[:4])
    left = max(0, x - 2)
    top = removed[max(0, y - 2) : y + 3, left : x + w + 2]
    bottom = removed[max(0, y + h - 3) : y + h + 2, left : x + w + 2]
    return bool(top.any() and bottom.any())


def _patch(mask: np.ndarray, darkness: np.ndarray, box) -> tuple[np.ndarray, np.ndarray]:
    """Views of ``mask`` and ``darkness`` over ``box`` (x, y, w, h) plus ``MARGIN``."""
    window = _window(mask.shape, box)
    return mask[window], darkness[window]


def _window(shape: tuple, box) -> tuple[slice, slice]:
    """The rows and columns of ``box`` (x, y, w, h) plus ``MARGIN``, inside ``shape``."""
    bx, by, bw, bh = (int(v) for v in box[:4])
    h, w = shape
    rows = slice(max(0, by - MARGIN), min(h, by + bh + MARGIN))
    return rows, slice(max(0, bx - MARGIN), min(w, bx + bw + MARGIN))


def is_frame(patch: np.ndarray, label=True, cut: tuple = ()) -> bool:
    """Whether the component ``label`` of ``patch`` (its box cut from a label image, or a
    boolean patch) is a box drawn around characters: ink along most of each of its four
    sides but those ``cut`` by the photo's edge ("top", "bottom", "left", "right"). The sides
    are looked at one by one, the first that fails ends it. A box ``LEVEL_FRAME`` times as
    wide as high or more (a comb's) in a tilted photo is looked at again levelled (at its
    longest level run's tilt, up to ``MAX_TILT_DEG``)."""
    own = patch == label
    if _framed(own, cut):
        return True
    h, w = own.shape
    drift = int(np.tan(np.deg2rad(MAX_TILT_DEG)) * w)  # the sides' rise at most
    if w < LEVEL_FRAME * h or not _framed(own, (*cut, "left", "right"), drift):
        return False  # a box no wider leaves its bands at no tilt that matters; no sides
    slope = _tilt(own.view(np.uint8))
    if slope == 0.0:
        return False
    level = _sheared(own.view(np.uint8), slope)
    rows = np.flatnonzero(level.any(axis=1))
    return _framed(level[rows[0] : rows[-1] + 1] > 0, cut)


def _framed(own: np.ndarray, cut: tuple, rows: int = 0) -> bool:
    """Whether the boolean patch ``own`` has ink along most of each side but those ``cut``
    (``is_frame``), in bands an eighth of its height and width wide, the top and bottom ones
    ``rows`` wider."""
    h, w = own.shape
    bh, bw = max(2, h // 8) + rows, max(2, w // 8)
    sides = {
        "top": lambda: own[:bh].any(axis=0),
        "bottom": lambda: own[-bh:].any(axis=0),
        "left": lambda: own[:, :bw].any(axis=1),
        "right": lambda: own[:, -bw:].any(axis=1),
    }
    return all(side().mean() >= FRAME_SIDE for name, side in sides.items() if name not in cut)


def is_grid(patch: np.ndarray) -> bool:
    """Whether an ink patch (boolean or 0/1) is a grid of rules, squared paper:
    levelled, at least ``GRID_RULES`` of its rows and of its columns are inked along
    ``ROW_FILL`` of their length. Lines of text that touch into one large component have
    no such rows. Looked at in cells of ``GRID_CELL`` pixels (a cell with ink is inked), the
    columns first: ruled paper has rows of ink only."""
    h, w = (max(GRID_CELL, n - n % GRID_CELL) for n in patch.shape)  # whole cells: faster
    cells = (w // GRID_CELL, h // GRID_CELL)
    ink = np.asarray(patch[:h, :w], np.uint8) * 255
    small = cv2.resize(ink, cells, interpolation=cv2.INTER_AREA) > 0
    for mask in (small.T, small):
        mask = mask.astype(np.uint8)
        if np.count_nonzero(_full(_sheared(mask, _tilt(mask)))) < GRID_RULES:
            return False
    return True


def _full(levelled: np.ndarray) -> np.ndarray:
    """Per row of a levelled patch: whether it is inked along ``ROW_FILL`` of its length."""
    return np.count_nonzero(levelled, axis=1) >= ROW_FILL * levelled.shape[1]


def _walls(before: np.ndarray, after: np.ndarray) -> tuple[int, int]:
    """For a frame whose level sides were just removed (``before`` and ``after``): when they
    were removed near its top and near its bottom, the length of its boxes' walls (most of
    the height between the two) and the sides' pen width (per column they were removed
    from: where letters touch a side, it stays); else (0, 0)."""
    ys, xs = np.nonzero(before > after)
    h = before.shape[0]
    top, bottom = ys < WALL_BAND * h, ys >= (1 - WALL_BAND) * h
    if not top.any() or not bottom.any():
        return 0, 0
    length = int(WALL_SPAN * (float(np.median(ys[bottom])) - float(np.median(ys[top]))))
    pen = min(np.count_nonzero(side) / np.unique(xs[side]).size for side in (top, bottom))
    return length, max(1, round(pen))


def _remove_level(
    roi: np.ndarray,
    dark: np.ndarray,
    length: int,
    thin: int,
    grid: bool = False,
    bent: bool = False,
    slope: float | None = None,
) -> np.ndarray:
    """Remove near-horizontal rules (at ``slope``, else at the tilt of the longest level run,
    up to ``MAX_TILT_DEG``) from a mask patch; in a ``grid``, rules broken by gaps under
    ``RUN_GAP`` pixels and the thin ink of nearly full rows (``_full_rows``) too: a faint grid
    thresholds into dashes. ``bent``: in a patch
    ``BENT_SPAN`` rule lengths wide or more, rules that its one tilt does not follow all along
    (``_rule_left``: a bent page, perspective) are followed in pieces (``_bent_runs``)."""
    slope = _tilt(roi) if slope is None else slope
    levelled = _sheared(roi, slope)
    runs = _level_runs(levelled, length, thin, RUN_GAP if grid else 1)
    if grid:
        runs |= _full_rows(levelled, thin)
    core = _sheared(runs, -slope, roi.shape) & roi
    if bent and roi.shape[1] >= BENT_SPAN * length and _rule_left(roi, core, length, thin):
        core |= _bent_runs(roi, core, length, thin)
    if not core.any():
        return roi
    return _take_out(roi, dark, core, thin, length)


def remove_slanted(
    mask: np.ndarray,
    removed: np.ndarray,
    darkness: np.ndarray,
    labels: np.ndarray,
    stats: np.ndarray,
    ids: np.ndarray,
    length: int,
    thin: int,
) -> np.ndarray:
    """``mask`` (uint8 0/1) without the straight lines at least ``length`` long and under
    ``thin`` thick that run at a tilt the rules' search does not reach (more than
    ``MAX_TILT_DEG`` from level and from upright: a fold across the sheet, a line drawn
    across the page), looked for in the components ``ids`` of ``labels`` (``stats`` rows:
    x, y, w, h, area) that the rules left ``length`` long (``_slanted_course``; ``removed``:
    the rules' pixels taken out, uint8 0/1, which cut a fold that crosses them). Along the
    line's course, the component's ink is taken out as a rule's is (``_take_out``: letters'
    strokes that cross it, darker than a fold, stay, and are bridged again), and the pieces
    that lie wholly on it, anywhere in the frame, go (the line's parts that a faint
    threshold broke off)."""
    out = mask.copy()
    for i in ids:
        course = _slanted_course(labels, removed, stats[i], i, length, thin)
        if course is None:
            continue
        ends, pen, upright = course
        band = np.zeros(mask.shape, np.uint8)
        cv2.line(band, *ends, 1, pen + 2)
        on_course = np.bincount(labels[band > 0], minlength=len(stats)) == stats[:, 4]
        on_course[[0, i]] = False
        out[np.take(on_course, labels)] = 0
        roi, dark = _patch(out, darkness, stats[i, :4])
        window = _window(mask.shape, stats[i])
        core = (labels[window] == i).view(np.uint8) & band[window]
        if upright:  # taken out across its course, as an upright rule is
            roi, dark, core = roi.T, dark.T, core.T
        roi[:] = _take_out(roi, dark, core, thin, length)
    return out


def _slanted_course(
    labels: np.ndarray, removed: np.ndarray, box: np.ndarray, label: int, length: int, thin: int
):
    """The straight line at least ``length`` long and under ``thin`` thick in component
    ``label`` (``box``: its x, y, w, h), at a tilt more than ``MAX_TILT_DEG`` from level and
    from upright, or None: its two ends across the frame (x, y), its pen in pixels, and
    whether it is nearer upright. Its tilt is the component's main axis, refined within
    ``SLANT_SEARCH_DEG`` by the projection peak (``_tilt``); the line is the thin run left
    by an opening along that tilt, as for a rule (``_level_runs``), with the rules' pixels
    ``removed`` put back where they cut it."""
    window = _window(labels.shape, box)
    y0, x0 = window[0].start, window[1].start
    own, cut = (labels[window] == label).view(np.uint8), removed[window]
    m = cv2.moments(own, binaryImage=True)
    deg = 0.5 * float(np.degrees(np.arctan2(2 * m["mu11"], m["mu20"] - m["mu02"])))
    upright = abs(deg) > 45.0
    if upright:  # searched on the transposed patch, where it is nearer level
        own, cut, deg = own.T, cut.T, float(np.sign(deg)) * 90.0 - deg
    if abs(deg) <= MAX_TILT_DEG:
        return None
    slope = _tilt(own, deg, SLANT_SEARCH_DEG)
    runs = _level_runs(_sheared(own | cut, slope), length, thin)
    rows, cols = np.nonzero(_sheared(runs, -slope, own.shape) & own)
    if rows.size == 0:
        return None
    xs, ys = (rows, cols) if upright else (cols, rows)
    points = np.column_stack([xs + x0, ys + y0]).astype(np.float32)
    vx, vy, cx, cy = cv2.fitLine(points, cv2.DIST_L2, 0, 0.01, 0.01).ravel()
    along = (points[:, 0] - cx) * vx + (points[:, 1] - cy) * vy
    pen = max(1, round(rows.size / (float(along.max() - along.min()) + 1)))
    reach = sum(labels.shape)
    ends = tuple((round(cx + k * reach * vx), round(cy + k * reach * vy)) for k in (-1, 1))
    return ends, pen, upright


def _take_out(
    roi: np.ndarray, dark: np.ndarray, core: np.ndarray, thin: int, length: int
) -> np.ndarray:
    """A mask patch without its level rules' pixels ``core`` (grown a row each side), less
    those much darker than the rule (ink on it: a letter's foot or bar) unless they run on
    along it for a rule's ``length`` or more (a line drawn with the pen along a printed rule,
    an underline); the strokes that crossed a rule are bridged across it again."""
    level = float(np.percentile(dark[core > 0], 75))
    lines = cv2.dilate(core, np.ones((3, 1), np.uint8)) & roi
    on_rule = lines & (dark > INK_ON_RULE * level).astype(np.uint8)
    on_rule = cv2.morphologyEx(on_rule, cv2.MORPH_OPEN, np.ones((2, 2), np.uint8))
    if np.count_nonzero(on_rule, axis=1).max(initial=0) >= length // 2:  # cheap: maybe one
        n, pieces, stats, _ = cv2.connectedComponentsWithStats(on_rule, connectivity=8)
        drawn = np.flatnonzero(stats[:, 2] >= length)
        on_rule[np.isin(pieces, drawn[drawn > 0])] = 0
    lines = cv2.subtract(lines, on_rule)
    kept = cv2.subtract(roi, lines)
    bridge = np.ones((thin + 4, 1), np.uint8)
    bridged = cv2.morphologyEx(kept, cv2.MORPH_CLOSE, bridge)
    return kept | (bridged & lines)


def _rule_left(roi: np.ndarray, core: np.ndarray, length: int, thin: int) -> bool:
    """Whether the rules found at one tilt, ``core``, leave a rule of the patch unfollowed: a
    stretch of thin ink at least ``length`` long (joined across the strokes that cross it) that
    they leave unfollowed for a piece (``PIECE`` of ``length``) or more."""
    thick = cv2.morphologyEx(roi, cv2.MORPH_OPEN, np.ones((thin, 1), np.uint8))
    across = cv2.morphologyEx(
        cv2.subtract(roi, thick), cv2.MORPH_CLOSE, np.ones((1, thin), np.uint8)
    )
    stretches, core = _pooled(across & roi), _pooled(core)
    n, labels, stats, _ = cv2.connectedComponentsWithStats(stretches, connectivity=8)
    long = stats[:, 2] >= length / POOL
    long[0] = False
    if not long.any():
        return False
    followed = np.zeros((n, core.shape[1]), bool)  # (stretch, cell) where a rule was found
    found = cv2.findNonZero(core)
    if found is not None:
        xs, ys = found.reshape(-1, 2).T
        followed[labels[ys, xs], xs] = True
    left = stats[long, 2] - np.count_nonzero(followed[long], axis=1)
    return bool((left >= PIECE * length / POOL).any())


def _pooled(mask: np.ndarray) -> np.ndarray:
    """``mask`` in cells ``POOL`` columns wide, a cell inked where any of its pixels is."""
    return np.ascontiguousarray(cv2.dilate(mask, np.ones((1, POOL), np.uint8))[:, ::POOL])


def _bent_runs(roi: np.ndarray, core: np.ndarray, length: int, thin: int) -> np.ndarray:
    """The rules of a patch that bend or converge, each at its own tilts, away from the runs
    found at one tilt, ``core``: straight pieces ``PIECE`` of ``length`` long at every tilt up
    to ``MAX_TILT_DEG``, joined into courses at least ``length`` long, narrowed to each rule's
    own pen (``_rule_band``), less where they are ``thin`` thick or more (a bold stroke)."""
    piece = max(3, int(PIECE * length))
    wide = cv2.dilate(roi, np.ones((3, 1), np.uint8))  # a row more each side: a tilt fits longer
    runs, thick = np.zeros_like(roi), np.zeros_like(roi)
    steps = int(np.ceil(MAX_TILT_DEG / BENT_STEP_DEG))
    for deg in np.linspace(-MAX_TILT_DEG, MAX_TILT_DEG, 2 * steps + 1):
        slope = float(np.tan(np.deg2rad(deg)))
        levelled = _sheared(wide, slope)
        lines = cv2.morphologyEx(levelled, cv2.MORPH_OPEN, np.ones((1, piece), np.uint8))
        if lines.any():
            runs |= _sheared(lines, -slope, roi.shape)
            bold = cv2.morphologyEx(lines, cv2.MORPH_OPEN, np.ones((thin + 2, 1), np.uint8))
            thick |= _sheared(bold, -slope, roi.shape)
    n, labels, stats, _ = cv2.connectedComponentsWithStats(runs & roi, connectivity=8)
    long = stats[:, 2] >= length
    long[0] = False
    taken = cv2.dilate(core, np.ones((3, 1), np.uint8))  # what core's lines take out anyway
    return cv2.subtract(_rule_band(labels, long), thick | taken)


def _rule_band(labels: np.ndarray, long: np.ndarray) -> np.ndarray:
    """The pixels of the ``long`` components of ``labels`` (rules, with the letters' strokes
    that lie along them at some tilt) within half the rule's pen of its course. The pen is the
    median ink per column; the course is the ink's mean row per column, interpolated across
    the columns where letters add ink."""
    w = labels.shape[1]
    ys, xs = np.nonzero(np.take(long, labels))
    ids = (np.cumsum(long) - 1)[labels[ys, xs]]  # numbered 0.. over the long components
    rules = int(np.count_nonzero(long))
    cells = ids * w + xs
    count = np.bincount(cells, minlength=rules * w).reshape(rules, w)
    course = np.bincount(cells, ys, rules * w).reshape(rules, w) / np.maximum(count, 1)
    half = np.zeros(rules)
    for i in range(rules):
        inked = np.flatnonzero(count[i])
        pen = float(np.median(count[i, inked]))
        alone = inked[count[i, inked] <= pen]
        course[i] = np.interp(np.arange(w), alone, course[i, alone])
        half[i] = pen / 2 + 0.5  # the half row a stepped line's course is off by
    near = np.abs(ys - course[ids, xs]) <= half[ids]
    band = np.zeros(labels.shape, np.uint8)
    band[ys[near], xs[near]] = 1
    return band


def _tilt(roi: np.ndarray, centre: float = 0.0, span: float = MAX_TILT_DEG) -> float:
    """Slope dy/dx that makes the patch's longest horizontal ink run level (projection peak),
    at a tilt within ``span`` degrees of ``centre``."""
    ys, xs = np.nonzero(roi)
    if ys.size == 0:
        return 0.0
    step = max(1, ys.size // 6000)
    ys, xs = ys[::step].astype(np.float64), xs[::step].astype(np.float64)
    best, best_slope = -1, 0.0
    steps = int(span / TILT_STEP_DEG)
    for deg in centre + np.arange(-steps, steps + 1) * TILT_STEP_DEG:  # centre included
        slope = float(np.tan(np.deg2rad(deg)))
        rows = np.rint(ys - slope * xs).astype(np.int64)
        peak = int(np.bincount(rows - rows.min()).max())
        if peak > best or (peak == best and abs(slope) < abs(best_slope)):
            best, best_slope = peak, slope
    return best_slope


def _sheared(img: np.ndarray, slope: float, shape: tuple | None = None) -> np.ndarray:
    """Shift each column by ``-slope * x`` rows (a level rule in, a tilted one out when undone).

    Without ``shape`` the patch grows to hold the shift; with it, the result is cut back."""
    if slope == 0.0:
        return img if shape is None else img[: shape[0]]
    h, w = img.shape
    drop = abs(slope) * w
    if shape is None:
        offset = drop if slope > 0 else 0.0
        m = np.float32([[1, 0, 0], [-slope, 1, offset]])
        return cv2.warpAffine(img, m, (w, h + int(np.ceil(drop))), flags=cv2.INTER_NEAREST)
    offset = drop if slope < 0 else 0.0
    m = np.float32([[1, 0, 0], [-slope, 1, -offset]])
    return cv2.warpAffine(img, m, (w, shape[0]), flags=cv2.INTER_NEAREST)


def _full_rows(mask: np.ndarray, thin: int) -> np.ndarray:
    """The thin ink of the rows inked along ``ROW_FILL`` of their length: the rules of a
    faint grid, which the threshold broke into pieces shorter than any rule."""
    full = _full(mask)
    if not full.any():
        return np.zeros_like(mask)
    thick = cv2.morphologyEx(mask, cv2.MORPH_OPEN, np.ones((thin, 1), np.uint8))
    return cv2.subtract(mask, thick) * full[:, None].astype(np.uint8)


def _level_runs(mask: np.ndarray, length: int, thin: int, gap: int = 1) -> np.ndarray:
    """Horizontal runs at least ``length`` long and under ``thin`` thick, broken by gaps
    under ``gap`` pixels at most."""
    bridged = mask
    if gap > 1:
        bridged = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, np.ones((1, gap), np.uint8))
    lines = cv2.morphologyEx(bridged, cv2.MORPH_OPEN, np.ones((1, length), np.uint8)) & mask
    if not lines.any():
        return lines
    thick = cv2.morphologyEx(lines, cv2.MORPH_OPEN, np.ones((thin, 1), np.uint8))
    return cv2.subtract(lines, thick)
