"""Ink mask -> lines -> words -> character slots, in reading order.

1. connected components of the mask;
2. pieces of one character are merged: a piece mostly inside another's column and close to
   it vertically (broken strokes, dots of i and j), and a dot left alone with the nearest
   narrow glyph just below and beside it (a slanted hand's i); a glyph is dotted when its
   top piece is a dot, or when a narrow glyph of one piece has a waist where a thick pen
   joined the dot; many glyphs that line up in no direction are texture, not writing (a
   board's grain, gravel, a carpet, noise: ``texture.is_texture``, a ``PageError``);
3. lines: glyphs taken left to right join the line whose course (its last glyphs, continued
   at its own slope or the page's skew) passes nearest; lines are read top to bottom,
   characters left to right; a line of specks near no other (``STRAY``) is no text;
4. words: a gap clearly wider than the line's usual letter gap (among letters whose boxes
   do not overlap) starts a new word (between 0.3 and 0.6 character heights); on a form,
   the walls of its boxes decide (``InkImage.walls``): one wall between two cells is a
   letter gap however wide, an empty cell or a box's end a word gap;
5. touching characters: a glyph wider than ``SPLIT_WIDTH`` typical character widths (the
   page's median glyph width in line heights, kept within ``CHAR_ASPECT``, times the line height)
   gets cut candidates: top-to-bottom paths that cross the least ink (moving at most one
   column per row, so a cut can bend between slanted or overlapping letters), ending at the
   valleys of the bottom row's path cost (both ends and the middle of a flat valley, so a
   touching foot can go either way), the same traced from the bottom up where such a path
   crosses a single stroke, and a straight cut down each waist of the glyph's outline, where
   two round letters touch at a point (an O against a D: every column through their bowls
   crosses as much ink as the junction). Every span between two cuts of a plausible character
   width becomes a piece. The Recognizer reads the best chain of pieces (see
   ``recognizer.py``). A glyph between ``TOUCHING_WIDTH`` and ``SPLIT_WIDTH`` typical widths
   gets its cuts only when the classifier reads it whole as touching characters (a "19"
   squeezed into one character's width): cutting every glyph that wide, or every one read
   as no character, read the benchmark worse (single letters read as two).
6. pieces a pen lift left side by side (an H's bar short of its stems, a K's arms apart from
   its stem, a speck a broken stroke left beside its letter): up to ``JOIN_RUN`` neighbouring
   glyphs of a word without cuts, at most ``JOIN_GAP`` line heights apart and together no
   wider than ``JOIN_WIDTH`` typical widths, become one joined slot whose pieces are each
   glyph and their unions; the Recognizer reads them as one character only when that reads
   better (see ``recognizer.py``).

Boxes are in original-image pixels; crops are working-resolution ink of that glyph only.
"""

from __future__ import annotations

import functools
import math
import statistics
from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np

from hwr_edge.errors import PageError
from hwr_edge.normalize import stroke_width
from hwr_edge.preprocess import InkImage, label_components
from hwr_edge.results import Box
from hwr_edge.rules import CELL_WALL, END_WALL, FRAME
from hwr_edge.texture import is_texture

MERGE_GAP = 0.35  # max vertical gap between pieces of one character, in text heights
MERGE_HEIGHT = 1.4  # max height of a merged character, in text heights ...
TALL_MERGE = 1.15  # ... or this many times the page's tall glyphs (90th percentile height)
DOT = 0.35  # a piece under this many text heights both ways above another is a dot ...
DOT_SLANT = 0.25  # ... or beside it, this many text heights to its side (a slanted i or j)
DOT_HEIGHT = 2.0  # ... whose character (a j and its dot) may be this many text heights tall
PAIR_BLOCK = 256  # boxes compared with all the others at a time (piece pairs, the skew)
DOT_SIZE = 0.6  # a character's top piece is its dot when under this part of the rest's height
# a narrow glyph of one piece is an i or j whose dot the pen joined to its stem when two rows
# in its top DOT_ROWS of its height hold under WAIST of the ink of the rows above (the dot)
# and of the median row below them (the stem)
NARROW, DOT_ROWS, WAIST = 0.5, (0.1, 0.4), 0.65
ACROSS_LINES = 1.6  # a component this many text heights tall may be letters of two lines
THIN_JOIN = 0.35  # ... joined by a row with under this part of its widest row's ink
JOIN_STROKES = 1.5  # ... or no wider than this many of its strokes (and half the widest)
LINE_REACH = 3.0  # ... when letters of both lines stand within this many text heights
LINE_PITCH = 0.75  # ... and their centres lie this many text heights apart or more
LINE_GAP = 0.55  # a glyph this many text heights off every line's course starts a line
LINE_BEND = 0.1  # ... at a slope at most this far from the page's
EVEN_HEIGHTS = 1.25  # ... fitted to glyphs whose heights are within this factor of each other
LINE_TAIL = 4  # a line's course is followed from this many of its last glyphs
PIECE_HEIGHT = 0.5  # a line of glyphs under this many text heights may be pieces of another
STRAY = 0.3  # ... and one of glyphs under this many both ways, near no line, is no text at all
WORD_GAP = (0.3, 0.6)  # bounds of the word-gap threshold, in line character heights
WALL_APART = 0.2  # line heights between two walls of a form's cells, at least
SPLIT_WIDTH = 1.3  # a glyph wider than this many typical character widths may be several
TOUCHING_WIDTH = 0.6  # ... and one wider than this when it reads as touching characters whole
CHAR_ASPECT = (0.6, 0.9)  # bounds of the typical character width, in line heights
CUTS_PER_HEIGHT = 5.0  # at most this many cut candidates per line height of a wide glyph, each way
MIN_PART, MAX_PART = 0.1, 1.4  # width range of a split piece, in line heights
MIN_HEIGHT = 0.4  # a split piece shorter than this many line heights is not a character
MIN_GAP = 0.06  # cut candidates closer than this many line heights are one
VALLEY_RADIUS = 0.06  # a cut is the thinnest column within this many line heights
VALLEY_INK = 0.5  # a cut crosses at most this many line heights of ink
STEP_COST = 0.3  # a cut path's cost of moving one column sideways (in ink pixels)
# a column crossing one stroke whose ink spans under WAIST_DEPTH of the tallest span within
# WAIST_REACH line heights on either side is where two round letters touch (a straight cut)
WAIST_DEPTH, WAIST_REACH = 0.6, 0.5
JOIN_GAP = 0.1  # glyphs this many line heights apart or closer may be one letter's pieces ...
JOIN_WIDTH = 2.0  # ... when together no wider than this many typical widths (an M, a W) ...
JOIN_RUN = 3  # ... and no more than this many of them


@dataclass
class Glyph:
    """One character candidate: ``box`` in original pixels, ``crop`` = its ink only, ``dot``:
    it is topped by an i's or a j's dot, apart or joined to its stem (``_joined_dot``)."""

    box: Box
    crop: np.ndarray
    dot: bool = False


@dataclass
class Piece:
    """A character hypothesis inside a slot: ``glyph`` spans cut nodes ``start`` to ``end``;
    ``width`` is its ink width in the page's typical character widths."""

    glyph: Glyph
    start: int
    end: int
    width: float


@dataclass
class Slot:
    """A glyph found by segmentation and its reading hypotheses. ``pieces[0]`` is the whole
    glyph (nodes 0 to ``nodes - 1``); the others are parts between cut candidates. A reading
    is a chain of pieces from node 0 to node ``nodes - 1``. A ``joined`` slot is neighbouring
    glyphs that may be one character's pieces: ``pieces[0]`` is their union, the others are
    each glyph (node i to i + 1) and the unions of fewer of them, in order of their start
    node. ``cut``, on a glyph of one piece too narrow to be cut at once: the slot with its
    split pieces, made when the Recognizer reads the glyph as touching characters whole."""

    pieces: list[Piece]
    nodes: int = 2
    joined: bool = False
    cut: Callable[[], Slot] | None = None

    @property
    def glyph(self) -> Glyph:
        return self.pieces[0].glyph


Words = list[list[Slot]]


def segment(image: InkImage) -> list[Words]:
    """Lines (top to bottom) of words (left to right) of character slots."""
    if image.text_height <= 0:
        return []
    labels, boxes, ids = _components(image)
    if ids.size == 0:
        return []
    boxes, ids = _split_across_lines(labels, boxes, ids, image.text_height)
    groups = _merge_pieces(boxes, image.text_height)
    glyph_boxes = _unions(boxes, groups)
    if is_texture(glyph_boxes):
        raise PageError(
            f"{len(glyph_boxes)} marks of ink that lie along no line or grid: texture or "
            "noise, not writing (crop the photo to the writing)",
            image.light_strokes,
        )
    grouped = _group_lines(glyph_boxes, image.text_height)
    # statistics.median: the same value as np.median, ~1 us on a short list against ~25 us
    heights = [statistics.median(glyph_boxes[members, 3].tolist()) for members in grouped]
    aspects = np.concatenate([glyph_boxes[m, 2] / h for m, h in zip(grouped, heights, strict=True)])
    char_aspect = float(np.clip(statistics.median(aspects.tolist()), *CHAR_ASPECT))
    glyph_ids = [ids[group] for group in groups]
    dots = [len(group) > 1 and _has_dot(boxes[group]) for group in groups]
    lines = []
    for members, line_h in zip(grouped, heights, strict=True):
        words: list[list[int]] = [[]]
        starts = _word_starts(glyph_boxes[members], line_h, image.walls)
        for i, new_word in zip(members, starts, strict=True):
            if new_word:
                words.append([])
            words[-1].append(i)
        line = (line_h, char_aspect * line_h)
        lines.append(
            [_word_slots(image, labels, glyph_ids, glyph_boxes, dots, w, line) for w in words]
        )
    return lines


def _word_slots(
    image: InkImage,
    labels: np.ndarray,
    glyph_ids: list,
    boxes: np.ndarray,
    dots: list,
    word: list,
    line,
) -> list[Slot]:
    """The slots of a word's glyphs (indices ``word`` into ``glyph_ids``, ``boxes`` and
    ``dots``), runs of them that may be one character's pieces (``_loose_runs``) joined into
    one slot."""
    slots = [_slot(image, labels, glyph_ids[i], boxes[i], dots[i], line) for i in word]
    single = [len(slot.pieces) == 1 for slot in slots]
    out = []
    for run in _loose_runs(boxes[word], single, line, image.text_height):
        if len(run) == 1:
            out.append(slots[run[0]])
            continue
        pieces = []
        for i in range(len(run)):
            for j in range(i + 1, len(run) + 1):
                members = [word[k] for k in run[i:j]]
                box = _union(boxes[members])
                if j - i == 1:
                    glyph = slots[run[i]].glyph
                else:
                    union = np.concatenate([glyph_ids[k] for k in members])
                    glyph = _glyph(image, labels, union, box)[0]
                pieces.append(Piece(glyph, i, j, box[2] / line[1]))
        pieces.sort(key=lambda p: (p.start, -p.end))
        out.append(Slot(pieces, len(run) + 1, joined=True))
    return out


def _loose_runs(boxes: np.ndarray, single: list[bool], line: tuple, text_h: float) -> list:
    """A word's glyphs (``boxes``, left to right) in runs, as indices: neighbours that may be
    one character a pen lift left in pieces share a run (without cut pieces, ``single``; no
    more than ``JOIN_GAP`` line heights apart; together at most ``JOIN_WIDTH`` typical widths
    wide and ``MERGE_HEIGHT`` text heights tall; at most ``JOIN_RUN``). A speck that close (a
    piece a broken stroke left beside its letter) is a candidate too: the Recognizer keeps
    it apart, as a reject, unless the letter reads about as well with it."""
    line_h, char_w = line
    reach = np.maximum.accumulate(boxes[:, 0] + boxes[:, 2])  # the rightmost ink so far
    if not (boxes[1:, 0] - reach[:-1] <= JOIN_GAP * line_h).any():  # no glyph that close
        return [[i] for i in range(len(boxes))]
    loose = np.array(single)
    runs: list[list[int]] = []
    for i in range(len(boxes)):
        run = runs[-1] if runs else []
        if run and len(run) < JOIN_RUN and loose[i] and loose[run].all():
            right = float((boxes[run, 0] + boxes[run, 2]).max())
            union = _union(boxes[[*run, i]])
            if (
                boxes[i, 0] - right <= JOIN_GAP * line_h
                and union[2] <= JOIN_WIDTH * char_w
                and union[3] <= MERGE_HEIGHT * text_h
            ):
                run.append(i)
                continue
        runs.append([i])
    return runs


def _components(image: InkImage) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Labels, boxes (x, y, w, h float) and label ids of the mask's components: the ones the
    preprocessing found, else a fresh labelling of ``image.mask``."""
    if image.labels is not None:
        return image.labels, image.boxes, image.ids
    n, labels, stats = label_components(image.mask)
    return labels, stats[1:, :4].astype(np.float64), np.arange(1, n)


def _word_starts(boxes: np.ndarray, line_h: float, walls: np.ndarray | None) -> list[bool]:
    """For each glyph of a line (sorted by x), whether it starts a new word. The usual letter
    gap is measured between boxes that do not overlap: overlapping ones (slanted or touching
    letters) say nothing about how far apart this writer's letters stand. The boxes drawn
    around characters that were taken out (``walls``: x, y, w, h, kind rows) decide the gaps
    they stand in: one wall between a form's cells is a letter gap, however wide (one
    character a cell); two or more (an empty cell), or a box's end, a word gap."""
    right = np.maximum.accumulate(boxes[:, 0] + boxes[:, 2])
    gaps = boxes[1:, 0] - right[:-1]
    if gaps.size == 0:
        return [False]
    apart = gaps[gaps > 0]
    usual = _percentile(apart.tolist(), 30) if apart.size else 0.0
    threshold = np.clip(2.5 * usual + 0.1 * line_h, WORD_GAP[0] * line_h, WORD_GAP[1] * line_h)
    starts = gaps > threshold
    if walls is not None and len(walls):
        for k, (cells, end) in enumerate(_walls_between(boxes, walls, line_h)):
            if end or cells > 1:
                starts[k] = True
            elif cells == 1:
                starts[k] = False
    return [False, *starts.tolist()]


def _walls_between(boxes: np.ndarray, walls: np.ndarray, line_h: float) -> list[tuple]:
    """Per pair of a line's neighbouring glyphs, the walls between their centres that stand
    beside both: how many between cells (``CELL_WALL``; a wall's pieces less than
    ``WALL_APART`` line heights apart are one wall), and whether a box ends between them (an
    ``END_WALL``, or a ``FRAME`` around one of the two centres and not the other)."""
    x, y, w, h, kind = (walls[:, k] for k in range(5))
    middle = x + w / 2
    cx, cy = boxes[:, 0] + boxes[:, 2] / 2, boxes[:, 1] + boxes[:, 3] / 2
    inside = (x <= cx[:, None]) & (cx[:, None] < x + w) & (y <= cy[:, None]) & (cy[:, None] < y + h)
    out = []
    for k in range(len(boxes) - 1):
        a, b = boxes[k], boxes[k + 1]
        top, bottom = max(a[1], b[1]), min(a[1] + a[3], b[1] + b[3])
        beside = (middle > cx[k]) & (middle < cx[k + 1]) & (y < bottom) & (y + h > top)
        cells = np.sort(middle[beside & (kind == CELL_WALL)])
        count = int(np.count_nonzero(np.diff(cells) > WALL_APART * line_h)) + 1 if cells.size else 0
        frame = (kind == FRAME) & (inside[k] != inside[k + 1])
        out.append((count, bool(np.any(beside & (kind == END_WALL)) or np.any(frame))))
    return out


def _percentile(values: list[float], q: float) -> float:
    """``np.percentile(values, q)`` (linear), the same float operations in the same order,
    so the same value to the last bit: ~1 us on a short list against numpy's ~60 us."""
    ordered = sorted(values)
    at = (len(ordered) - 1) * (q / 100)
    i = math.floor(at)
    low, high = ordered[i], ordered[min(i + 1, len(ordered) - 1)]
    t = at - i
    return high - (high - low) * (1 - t) if t >= 0.5 else low + (high - low) * t


def _unions(boxes: np.ndarray, groups: list[np.ndarray]) -> np.ndarray:
    """``_union`` of each group of ``boxes`` rows, in one pass (a ``_union`` per glyph cost
    0.5 ms on note.jpg, this 0.03 ms)."""
    members = boxes[np.concatenate(groups)]
    starts = np.cumsum([0] + [len(g) for g in groups[:-1]])
    low = np.minimum.reduceat(members[:, :2], starts)
    high = np.maximum.reduceat(members[:, :2] + members[:, 2:], starts)
    return np.hstack([low, high - low])


def _union(boxes: np.ndarray) -> np.ndarray:
    x0, y0 = boxes[:, 0].min(), boxes[:, 1].min()
    x1, y1 = (boxes[:, 0] + boxes[:, 2]).max(), (boxes[:, 1] + boxes[:, 3]).max()
    return np.array([x0, y0, x1 - x0, y1 - y0])


def _split_across_lines(
    labels: np.ndarray, boxes: np.ndarray, ids: np.ndarray, text_h: float
) -> tuple[np.ndarray, np.ndarray]:
    """Components that are letters of two lines touching (dense writing: a descender on the
    next line's capital) cut in two: a component ``ACROSS_LINES`` text heights tall with
    letter-sized components of both lines beside it (within ``LINE_REACH`` text heights) is
    cut at its thinnest row near where those lines part, when that row holds under
    ``THIN_JOIN`` of its widest row's ink, or no more than ``JOIN_STROKES`` strokes' width
    and half the widest row's (a narrow pair in a thick pen: a q's tail on a W, whose
    widest row is only 2.5 strokes wide). A large letter among small ones (a title) has no
    two lines beside it; a tall stroke has no thin row. Both parts keep the component's
    label, each with its own box."""
    tall = np.flatnonzero(boxes[:, 3] >= ACROSS_LINES * text_h)
    if tall.size == 0:
        return boxes, ids
    letters = boxes[boxes[:, 3] < MERGE_HEIGHT * text_h]
    cut = np.ones(len(boxes), bool)
    parts = []
    for i in tall.tolist():
        row = _parting_row(boxes[i], letters, text_h)
        if row is None:
            continue
        x, y, w, h = (int(v) for v in boxes[i])
        own = (labels[y : y + h, x : x + w] == ids[i]).view(np.uint8)
        ink = own.sum(axis=1)
        band = np.arange(max(1, row - int(text_h / 4)), min(h - 1, row + int(text_h / 4)) + 1)
        row = int(band[(ink[band] + np.abs(band - row) / h).argmin()])  # ties: the nearest
        thin = max(THIN_JOIN * ink.max(), min(JOIN_STROKES * stroke_width(own), ink.max() / 2))
        if ink[row] > thin:
            continue
        upper, lower = cv2.boundingRect(own[:row]), cv2.boundingRect(own[row:])
        cut[i] = False
        parts += [(x + upper[0], y + upper[1], upper[2], upper[3])]
        parts += [(x + lower[0], y + row + lower[1], lower[2], lower[3])]
    if not parts:
        return boxes, ids
    return (
        np.concatenate([boxes[cut], np.array(parts, np.float64)]),
        np.concatenate([ids[cut], np.repeat(ids[~cut], 2)]),
    )


def _parting_row(box: np.ndarray, letters: np.ndarray, text_h: float) -> int | None:
    """The row (from ``box``'s top) halfway between the bottoms of the letters beside ``box``
    in its upper half and the tops of those in its lower half (``letters``: x, y, w, h rows;
    beside: at most ``LINE_REACH`` text heights away, within its height); None without
    letters in both halves, or when their median centres are under ``LINE_PITCH`` text
    heights apart (a lower-case hand's k or l is 1.6 text heights tall, and on a tilted line
    its own neighbours' centres fall on both sides of its middle)."""
    x, y, w, h = box
    gap = np.maximum(letters[:, 0] - (x + w), x - (letters[:, 0] + letters[:, 2]))
    centre = letters[:, 1] + letters[:, 3] / 2
    beside = (gap >= 0) & (gap <= LINE_REACH * text_h) & (centre > y) & (centre < y + h)
    upper, lower = beside & (centre < y + h / 2), beside & (centre >= y + h / 2)
    if not upper.any() or not lower.any():
        return None
    if np.median(centre[lower]) - np.median(centre[upper]) < LINE_PITCH * text_h:
        return None  # one line's letters beside a tall one of its own (a k on a tilted line)
    bottom = np.median(letters[upper, 1] + letters[upper, 3])
    top = np.median(letters[lower, 1])
    return int(round((bottom + top) / 2 - y))


def _merge_pieces(boxes: np.ndarray, text_h: float) -> list[np.ndarray]:
    """Group component indices whose boxes are pieces of one character (union-find)."""
    parent = list(range(len(boxes)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, j in _piece_pairs(boxes, text_h):
        parent[find(i)] = find(j)
    for i, j in _slanted_dots(boxes, text_h, [find(k) for k in range(len(boxes))]):
        parent[find(i)] = find(j)
    roots: dict[int, list[int]] = {}
    for i in range(len(boxes)):
        roots.setdefault(find(i), []).append(i)
    return [np.array(m) for m in roots.values()]


def _dots(boxes: np.ndarray, text_h: float) -> np.ndarray:
    """Which boxes are dots: under ``DOT`` text heights both ways."""
    return np.maximum(boxes[:, 2], boxes[:, 3]) < DOT * text_h


def _slanted_dots(boxes: np.ndarray, text_h: float, roots: list):
    """Pairs of a dot left alone (``roots``: each box's group so far; its group is itself)
    and the narrow glyph below it beside whose stem a slanted hand put it: the nearest one
    (by centres across) whose top is at most ``MERGE_GAP`` text heights under it, whose
    column is at most ``DOT_SLANT`` text heights to its side, and which with the dot is at
    most ``DOT_HEIGHT`` text heights tall."""
    x0, y0, w, h = boxes.T
    dot = _dots(boxes, text_h)
    alone = np.bincount(roots, minlength=len(boxes))[roots] == 1
    narrow = (w < NARROW * h) & ~dot
    for i in np.flatnonzero(dot & alone):
        below = y0 - (y0[i] + h[i])
        side = np.maximum(x0 - (x0[i] + w[i]), x0[i] - (x0 + w))
        tall = y0 + h - y0[i]
        ok = narrow & (below >= 0) & (below <= MERGE_GAP * text_h)
        ok &= (side <= DOT_SLANT * text_h) & (tall <= DOT_HEIGHT * text_h)
        if ok.any():
            centre = np.abs((x0 + w / 2) - (x0[i] + w[i] / 2))
            yield int(i), int(np.flatnonzero(ok)[np.argmin(centre[ok])])


def _piece_pairs(boxes: np.ndarray, text_h: float):
    """Index pairs (i < j) of boxes that may be pieces of one character: over half the
    narrower one's width side by side, at most ``MERGE_GAP`` text heights apart up and down,
    together at most ``MERGE_HEIGHT`` text heights tall or ``TALL_MERGE`` times the page's tall
    glyphs (in lower-case notes the text height is about the x-height, and a digit or a
    capital 1.6 of it tall), ``DOT_HEIGHT`` text heights with a dot on top.
    Compared ``PAIR_BLOCK`` rows at a time, so that a page of many pieces needs no
    pieces x pieces arrays."""
    x0, y0, w, h = boxes.T
    x1, y1 = x0 + w, y0 + h
    dot = _dots(boxes, text_h)
    tallest = max(MERGE_HEIGHT * text_h, TALL_MERGE * float(np.percentile(h, 90)))
    index = np.arange(len(boxes))
    for a in range(0, len(boxes), PAIR_BLOCK):
        r = slice(a, a + PAIR_BLOCK)
        overlap_x = np.minimum(x1[r, None], x1[None]) - np.maximum(x0[r, None], x0[None])
        narrow = np.minimum(w[r, None], w[None])
        gap_y = np.maximum(y0[r, None], y0[None]) - np.minimum(y1[r, None], y1[None])
        height = np.maximum(y1[r, None], y1[None]) - np.minimum(y0[r, None], y0[None])
        pair = (overlap_x >= 0.5 * narrow) & (gap_y <= MERGE_GAP * text_h)
        dot_over = (dot[r, None] & (y1[r, None] <= y0[None])) | (
            dot[None] & (y1[None] <= y0[r, None])
        )
        pair &= height <= np.where(dot_over, DOT_HEIGHT * text_h, tallest)
        pair &= index[r, None] < index[None]
        for i, j in zip(*np.nonzero(pair), strict=True):
            yield a + int(i), int(j)


def _skew(centres: np.ndarray, text_h: float) -> float:
    """Slope dy/dx of the text lines: median over each glyph's nearest right neighbour
    (``PAIR_BLOCK`` glyphs at a time against all the others)."""
    slopes: list[float] = []
    for a in range(0, len(centres), PAIR_BLOCK):
        dx = centres[None, :, 0] - centres[a : a + PAIR_BLOCK, None, 0]
        dy = centres[None, :, 1] - centres[a : a + PAIR_BLOCK, None, 1]
        ok = (dx > 0) & (dx < 3 * text_h) & (np.abs(dy) < 0.6 * text_h)
        dx_masked = np.where(ok, dx, np.inf)
        nearest = dx_masked.argmin(axis=1)
        rows = np.nonzero(np.isfinite(dx_masked.min(axis=1)))[0]
        slopes += (dy[rows, nearest[rows]] / dx[rows, nearest[rows]]).tolist()
    if not slopes:
        return 0.0
    return float(np.clip(statistics.median(slopes), -0.3, 0.3))


def _group_lines(boxes: np.ndarray, text_h: float) -> list[list[int]]:
    """Glyph indices per line, lines top to bottom, each sorted by x. Glyphs are taken left to
    right; each joins the line whose course (``_Line``) passes nearest its centre, within
    ``LINE_GAP`` text heights, or starts a line; a glyph taller than a text height is that
    much nearer by half its extra height (an ascender or a descender moves its centre off
    the line's: "jam" after a line's tall digits, in a hand whose text height is its
    x-height). Following each line's own course keeps lines apart that curve, drift or
    converge (a bent notebook page, unruled writing, perspective), where one page-wide skew
    would interleave them. Lines are ordered by their median de-skewed height."""
    centres = boxes[:, :2] + boxes[:, 2:] / 2
    slope = _skew(centres, text_h)
    reach = LINE_GAP * text_h
    far = reach + text_h  # a tail's centres differ by less than a text height
    lines: list[_Line] = []
    xs, ys, hs = centres[:, 0].tolist(), centres[:, 1].tolist(), boxes[:, 3].tolist()
    for i in np.lexsort((centres[:, 1], boxes[:, 0])).tolist():
        x, y = xs[i], ys[i]
        slack = max(0.0, (hs[i] - text_h) / 2)
        best, nearest = None, reach
        for line in lines:
            lx, ly = line.tail[-1]
            if abs(y - ly - line.slope * (x - lx)) > far:  # far off even its last glyph
                continue
            d = line.distance(x, y) - slack
            if d < nearest:
                best, nearest = line, d
        if best is None:
            best = _Line(slope, text_h)
            lines.append(best)
        best.add(i, x, y, hs[i])
    small = boxes[:, 3] < PIECE_HEIGHT * text_h
    stray = boxes[:, 2:].max(axis=1) < STRAY * text_h
    lines = _attach_pieces(lines, small, stray, xs, ys, text_h)
    level = centres[:, 1] - slope * centres[:, 0]
    lines.sort(key=lambda line: statistics.median(level[line.members].tolist()))
    return [sorted(line.members, key=lambda i: (boxes[i, 0], boxes[i, 1])) for line in lines]


def _attach_pieces(
    lines: list, small: np.ndarray, stray: np.ndarray, xs: list, ys: list, text_h: float
) -> list:
    """``lines`` with each line made only of ``small`` glyphs (a broken letter's loose top,
    a dot, a dash: their centres sit off the line's) joined to the line whose course passes
    within a text height of its first glyph, when there is one. Such a line near none is
    kept unless all its glyphs are ``stray`` specks (dust; the corner a shadow's edge leaves
    where it meets the frame's), which no reader would take for a line of text."""
    whole = [line for line in lines if not small[line.members].all()]
    out = list(whole)
    for line in lines:
        if not small[line.members].all():
            continue
        i = line.members[0]
        near = [(other.distance(xs[i], ys[i]), k) for k, other in enumerate(whole)]
        if near and min(near)[0] < text_h:
            whole[min(near)[1]].members.extend(line.members)
        elif not stray[line.members].all():
            out.append(line)
    return out


class _Line:
    """A text line being followed left to right. Its course at x continues each of its last
    ``LINE_TAIL`` centres at its own slope and takes the median; the slope is fitted to those
    centres when they span two text heights and their glyphs' heights are within
    ``EVEN_HEIGHTS`` of each other, within ``LINE_BEND`` of the page's (lower-case letters'
    centres, a t's high and an o's low, tilt a fit), else it is the page's."""

    def __init__(self, slope: float, text_h: float):
        self.page_slope, self.slope, self.text_h = slope, slope, text_h
        self.members: list[int] = []
        self.tail: list[tuple[float, float]] = []
        self.heights: list[float] = []

    def distance(self, x: float, y: float) -> float:
        """Vertical distance from (``x``, ``y``) to the line's course."""
        course = sorted(ty + self.slope * (x - tx) for tx, ty in self.tail)
        n = len(course)
        return abs(y - (course[(n - 1) // 2] + course[n // 2]) / 2)

    def add(self, i: int, x: float, y: float, h: float) -> None:
        """Take glyph ``i``, centred at (``x``, ``y``) and ``h`` tall, into the line; refit
        its slope."""
        self.members.append(i)
        self.tail = [*self.tail[1 - LINE_TAIL :], (x, y)]
        self.heights = [*self.heights[1 - LINE_TAIL :], h]
        self.slope = self.page_slope
        even = max(self.heights) <= EVEN_HEIGHTS * min(self.heights)
        if len(self.tail) == LINE_TAIL and x - self.tail[0][0] >= 2 * self.text_h and even:
            mx = sum(tx for tx, _ in self.tail) / LINE_TAIL
            sxx = sum((tx - mx) ** 2 for tx, _ in self.tail)
            sxy = sum((tx - mx) * ty for tx, ty in self.tail)
            low, high = self.page_slope - LINE_BEND, self.page_slope + LINE_BEND
            self.slope = min(max(sxy / sxx, low), high)


def _slot(
    image: InkImage, labels: np.ndarray, ids: np.ndarray, box, dot: bool, line: tuple
) -> Slot:
    """The glyph made of components ``ids`` at ``box`` (``dot``: the top one an i's dot) with
    its split pieces (``line``: the line's character height and typical character width);
    a glyph too narrow for them but wider than ``TOUCHING_WIDTH`` gets them later, when it
    reads as touching characters whole (``Slot.cut``)."""
    glyph, own = _glyph(image, labels, ids, box, dot)
    width = float(box[2])
    if width > SPLIT_WIDTH * line[1]:
        return _cut_slot(glyph, own, box, line, image.scale)
    slot = Slot([Piece(glyph, 0, 1, width / line[1])])
    if width > TOUCHING_WIDTH * line[1]:
        slot.cut = functools.partial(_cut_slot, glyph, own, box, line, image.scale)
    return slot


def _cut_slot(glyph: Glyph, own: np.ndarray, box, line: tuple, scale: float) -> Slot:
    """The slot of ``glyph`` (``own``: its pixels in ``box``) with a piece for every span
    between two of its cut candidates of a plausible character width."""
    crop = glyph.crop
    x, y, w, h = map(int, box.tolist())
    line_h, char_w = line
    whole = Piece(glyph, 0, 1, w / char_w)
    cuts = _path_cuts(own, line_h, int(np.ceil(CUTS_PER_HEIGHT * w / line_h)))
    if not cuts:
        return Slot([whole])
    nodes = [np.zeros(h, np.int32), *cuts, np.full(h, w, np.int32)]
    whole.end = len(nodes) - 1
    pieces = [whole]
    columns = np.arange(w)[None]
    for i in range(len(nodes) - 1):
        for j in range(i + 1, len(nodes) - (i == 0)):
            span = float(np.mean(nodes[j] - nodes[i]))
            if span > MAX_PART * line_h:
                break
            inside = (columns >= nodes[i][:, None]) & (columns < nodes[j][:, None])
            piece = _piece(np.where(inside, crop, 0), (x, y), line_h, scale)
            if piece is not None:
                pieces.append(Piece(piece[0], i, j, piece[1] / char_w))
    return Slot(pieces, len(nodes))


def _glyph(image: InkImage, labels: np.ndarray, ids: np.ndarray, box, dot: bool = False) -> tuple:
    """``(glyph, own)``: the Glyph of components ``ids`` at ``box`` (its ink only) and the
    mask of their pixels in the box."""
    x, y, w, h = map(int, box.tolist())
    patch = labels[y : y + h, x : x + w]
    own = patch == ids[0] if len(ids) == 1 else np.isin(patch, ids)
    crop = np.where(own, image.ink[y : y + h, x : x + w], 0)  # uint8, as the ink
    dot = dot or (len(ids) == 1 and _joined_dot(crop))
    return Glyph(_to_original((x, y, w, h), image.scale), crop, dot), own


def _has_dot(boxes: np.ndarray) -> bool:
    """Whether the top one of a character's two or more pieces (``boxes``) is a dot above the
    others: no more than twice as wide as tall or as tall as wide, under ``DOT_SIZE`` of
    their height both ways, its bottom over their tops (an i's dot, not the bar of a J or a
    serif of an I that stands apart)."""
    top = int(np.argmin(boxes[:, 1]))
    _, y, w, h = boxes[top]
    others = np.delete(boxes, top, axis=0)
    rest = (others[:, 1] + others[:, 3]).max() - others[:, 1].min()
    compact = w <= 2 * h and h <= 2 * w
    return bool(compact and max(w, h) < DOT_SIZE * rest and y + h <= others[:, 1].min())


def _joined_dot(crop: np.ndarray) -> bool:
    """Whether a glyph of one piece (``crop``, its ink) is an i or a j whose dot a thick pen
    or a blur joined to its stem: it is ``NARROW`` and its ink per row, averaged over two
    rows, dips to under ``WAIST`` of the dot's (the most of any row above) and of the stem's
    (the median row below the top ``DOT_ROWS``) in the top ``DOT_ROWS`` of its height. A
    capital I's serif, an f's hook and a 1's flag run into their stem without such a waist;
    a one-row dip is a wobble of the pen."""
    h, w = crop.shape
    top, bottom = max(1, int(DOT_ROWS[0] * h)), int(DOT_ROWS[1] * h)
    if w > NARROW * h or bottom <= top:
        return False
    rows = crop.sum(axis=1, dtype=np.float64)
    waist = (rows[top:bottom] + rows[top + 1 : bottom + 1]) / 2
    dot = np.maximum.accumulate(rows[: bottom - 1])[top - 1 :]
    stem = statistics.median(rows[bottom:].tolist())
    return bool((waist < WAIST * np.minimum(dot, stem)).any())


def _valleys(cost: np.ndarray, line_h: float) -> tuple[np.ndarray, np.ndarray]:
    """Columns where ``cost`` (ink crossed by a cut there) has a local minimum (both ends and
    the middle of a flat valley), at least ``MIN_PART`` line heights from either side, and
    their costs."""
    smooth = cv2.blur(cost[None], (3, 1), borderType=cv2.BORDER_REPLICATE)[0]
    r = max(1, int(VALLEY_RADIUS * line_h))
    low = cv2.erode(smooth[None], np.ones((1, 2 * r + 1), np.uint8))[0]
    is_min = np.concatenate([[False], smooth <= low + 0.5, [False]])
    edges = np.flatnonzero(np.diff(is_min.astype(np.int8)))
    starts, ends = edges[0::2], edges[1::2]  # runs [start, end) of minimum columns
    cols = np.unique(np.concatenate([starts, (starts + ends) // 2, ends]))
    margin = MIN_PART * line_h
    cols = cols[(cols >= margin) & (cols <= len(cost) - margin)]
    return cols, smooth[np.minimum(cols, len(cost) - 1)]


def _path_cuts(own: np.ndarray, line_h: float, most: int) -> list[np.ndarray]:
    """Cuts of a wide glyph, left to right, each a top-to-bottom path (one column per row)
    crossing little ink: up to ``most`` cheapest paths from the top row to the bottom row's
    cost valleys, and up to ``most`` from the bottom row to the top row's that cross one
    stroke only (where two letters touch; the cuts through two strokes that this second
    direction adds split round letters such as O and C in two), and a straight cut down
    every waist (``_waists``)."""
    down = _valley_paths(own, line_h, most)
    flipped = own[::-1]
    up = [p[::-1] for p in _valley_paths(flipped, line_h, most) if _strokes(flipped, p) <= 1]
    waists = [np.full(len(own), col, np.int32) for col in _waists(own, line_h)]
    paths, seen = [], set()
    ahead = np.cumsum(own, axis=1)
    rows = np.arange(len(own))
    for path in sorted(down + up + waists, key=lambda p: float(p.mean())):
        left = int(ahead[rows, np.maximum(path - 1, 0)].sum())  # ink left of the path
        if left not in seen:
            seen.add(left)
            paths.append(path)
    return paths


def _waists(own: np.ndarray, line_h: float) -> list[int]:
    """Columns where two round letters touch at a point (an O against a D): the column
    crosses one stroke, and its ink's span from top to bottom is the least within
    ``WAIST_REACH`` line heights and under ``WAIST_DEPTH`` of the tallest span on each side
    there. The cheapest paths pass them by: every column through the two bowls crosses about
    as much ink as the junction."""
    inked = own.any(axis=0)
    top = own.argmax(axis=0)
    span = np.where(inked, len(own) - own[::-1].argmax(axis=0) - top, 0)
    strokes = own[0] + np.count_nonzero(np.diff(own.astype(np.int8), axis=0) == 1, axis=0)
    reach = max(2, int(WAIST_REACH * line_h))
    row = span.astype(np.float32)[None]
    kernel = np.ones((1, reach + 1), np.uint8)  # a column and the ``reach`` before or after it
    before, after = (reach, 0), (0, 0)
    least = np.minimum(cv2.erode(row, kernel, anchor=before), cv2.erode(row, kernel, anchor=after))
    tallest = np.minimum(
        cv2.dilate(row, kernel, anchor=before), cv2.dilate(row, kernel, anchor=after)
    )
    cols = np.arange(own.shape[1])
    margin = int(np.ceil(MIN_PART * line_h))
    inside = (cols >= margin) & (cols < len(cols) - margin)
    found = inside & (strokes == 1) & (span <= least[0]) & (span < WAIST_DEPTH * tallest[0])
    out: list[int] = []
    for col in np.flatnonzero(found).tolist():
        if not out or col - out[-1] >= reach:
            out.append(col)
    return out


def _valley_paths(own: np.ndarray, line_h: float, most: int) -> list[np.ndarray]:
    """Up to ``most`` cheapest paths from the top row to the bottom row's cost valleys, kept
    ``MIN_GAP`` apart there."""
    acc = _path_costs(own)
    cols, cost = _valleys(acc[-1], line_h)
    keep: list[int] = []
    for col, ink in zip(cols[np.argsort(cost, kind="stable")], np.sort(cost), strict=True):
        if ink > VALLEY_INK * line_h or len(keep) >= most:
            break
        if all(abs(int(col) - k) >= MIN_GAP * line_h for k in keep):
            keep.append(int(col))
    return [_trace(acc, col) for col in keep]


def _strokes(own: np.ndarray, path: np.ndarray) -> int:
    """How many separate runs of ink a path crosses."""
    on = own[np.arange(len(own)), np.minimum(path, own.shape[1] - 1)].astype(np.int8)
    return int(on[0]) + int(np.count_nonzero(np.diff(on) == 1))


def _path_costs(own: np.ndarray) -> np.ndarray:
    """Per row and column, the least ink crossed by a path from the top row to that pixel
    moving at most one column per row (a diagonal step costs ``STEP_COST`` more)."""
    ink = own.astype(np.float32)
    acc = np.empty_like(ink)
    acc[0] = ink[0]
    kernel = np.ones((1, 3), np.uint8)
    for y in range(1, len(ink)):
        prev = acc[y - 1 : y]
        side = cv2.erode(prev, kernel, borderType=cv2.BORDER_REPLICATE)[0] + STEP_COST
        acc[y] = np.minimum(prev[0], side) + ink[y]
    return acc


def _trace(acc: np.ndarray, col: int) -> np.ndarray:
    """The cheapest path of ``_path_costs`` that ends at the bottom row's ``col``: its column
    in every row."""
    h, w = acc.shape
    path = np.empty(h, np.int32)
    path[-1] = col
    for y in range(h - 1, 0, -1):
        x = path[y]
        best, step = acc[y - 1, x], 0
        for dx in (-1, 1):
            if 0 <= x + dx < w and acc[y - 1, x + dx] + STEP_COST < best:
                best, step = acc[y - 1, x + dx] + STEP_COST, dx
        path[y - 1] = x + step
    return path


def _piece(part: np.ndarray, origin: tuple, line_h: float, scale: float):
    """``(glyph, width)`` of the ink left in ``part`` (a glyph-sized crop), trimmed to its box;
    None when it is too short to be a character."""
    rows = np.flatnonzero(part.any(axis=1))
    if rows.size == 0 or rows[-1] + 1 - rows[0] < MIN_HEIGHT * line_h:
        return None
    cols = np.flatnonzero(part.any(axis=0))
    y0, y1, x0, x1 = int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1
    if x1 - x0 < MIN_PART * line_h:
        return None
    box = (origin[0] + x0, origin[1] + y0, x1 - x0, y1 - y0)
    return Glyph(_to_original(box, scale), part[y0:y1, x0:x1]), x1 - x0


def _to_original(box: tuple, scale: float) -> Box:
    """A working-resolution box in original-image pixels."""
    x, y, w, h = box
    return (
        int(round(x * scale)),
        int(round(y * scale)),
        max(1, int(round(w * scale))),
        max(1, int(round(h * scale))),
    )
