"""Ink mask -> lines -> words -> character slots, in reading order.

1. connected components of the mask;
2. pieces of one character are merged: a piece mostly inside another's column and close to
   it vertically (broken strokes, dots of i and j);
3. lines: the page's skew is estimated from neighbouring characters, centres are de-skewed and
   clustered by height; lines are read top to bottom, characters left to right;
4. words: a gap clearly wider than the line's usual letter gap starts a new word (between
   0.3 and 0.6 character heights);
5. touching characters: a glyph much wider than the line's character height also gets a split
   hypothesis (cuts at vertical-projection minima); the Recognizer keeps it or not by the
   classifier's confidence.

Boxes are in original-image pixels; crops are working-resolution ink of that glyph only.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

from hwr_edge.preprocess import InkImage, label_components
from hwr_edge.results import Box

MERGE_GAP = 0.35  # max vertical gap between pieces of one character, in text heights
MERGE_HEIGHT = 1.4  # max height of a merged character, in text heights
LINE_GAP = 0.55  # de-skewed centre gap that starts a new line, in text heights
WORD_GAP = (0.3, 0.6)  # bounds of the word-gap threshold, in line character heights
SPLIT_WIDTH = 1.25  # width / line height above which a touching-pair split is proposed
PART_WIDTH = 0.85  # expected width of one character, in line heights, to count parts


@dataclass
class Glyph:
    """One character candidate: ``box`` in original pixels, ``crop`` = its ink only."""

    box: Box
    crop: np.ndarray


@dataclass
class Slot:
    """A character position: the whole glyph, and the parts of a touching-characters split."""

    glyph: Glyph
    split: list[Glyph] = field(default_factory=list)


Words = list[list[Slot]]


def segment(image: InkImage) -> list[Words]:
    """Lines (top to bottom) of words (left to right) of character slots."""
    if image.text_height <= 0:
        return []
    labels, boxes, ids = _components(image)
    if ids.size == 0:
        return []
    groups = _merge_pieces(boxes, image.text_height)
    glyph_boxes = np.array([_union(boxes[g]) for g in groups])
    lines = []
    for members in _group_lines(glyph_boxes, image.text_height):
        line_h = float(np.median(glyph_boxes[members, 3]))
        words: Words = [[]]
        for i, new_word in zip(members, _word_starts(glyph_boxes[members], line_h), strict=True):
            if new_word:
                words.append([])
            words[-1].append(_slot(image, labels, ids[groups[i]], glyph_boxes[i], line_h))
        lines.append(words)
    return lines


def _components(image: InkImage) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Labels, boxes (x, y, w, h float) and label ids of the mask's components: the ones the
    preprocessing found, else a fresh labelling of ``image.mask``."""
    if image.labels is not None:
        return image.labels, image.boxes, image.ids
    n, labels, stats = label_components(image.mask)
    return labels, stats[1:, :4].astype(np.float64), np.arange(1, n)


def _word_starts(boxes: np.ndarray, line_h: float) -> list[bool]:
    """For each glyph of a line (sorted by x), whether it starts a new word."""
    right = np.maximum.accumulate(boxes[:, 0] + boxes[:, 2])
    gaps = boxes[1:, 0] - right[:-1]
    if gaps.size == 0:
        return [False]
    usual = float(np.percentile(np.maximum(gaps, 0), 30))
    threshold = np.clip(2.5 * usual + 0.1 * line_h, WORD_GAP[0] * line_h, WORD_GAP[1] * line_h)
    return [False, *(gaps > threshold).tolist()]


def _union(boxes: np.ndarray) -> np.ndarray:
    x0, y0 = boxes[:, 0].min(), boxes[:, 1].min()
    x1, y1 = (boxes[:, 0] + boxes[:, 2]).max(), (boxes[:, 1] + boxes[:, 3]).max()
    return np.array([x0, y0, x1 - x0, y1 - y0])


def _merge_pieces(boxes: np.ndarray, text_h: float) -> list[np.ndarray]:
    """Group component indices whose boxes are pieces of one character (union-find)."""
    x0, y0, w, h = boxes.T
    x1, y1 = x0 + w, y0 + h
    overlap_x = np.minimum(x1[:, None], x1[None]) - np.maximum(x0[:, None], x0[None])
    narrow = np.minimum(w[:, None], w[None])
    gap_y = np.maximum(y0[:, None], y0[None]) - np.minimum(y1[:, None], y1[None])
    height = np.maximum(y1[:, None], y1[None]) - np.minimum(y0[:, None], y0[None])
    pair = (overlap_x >= 0.5 * narrow) & (gap_y <= MERGE_GAP * text_h)
    pair &= height <= MERGE_HEIGHT * text_h
    parent = list(range(len(boxes)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, j in zip(*np.nonzero(np.triu(pair, 1)), strict=True):
        parent[find(int(i))] = find(int(j))
    roots: dict[int, list[int]] = {}
    for i in range(len(boxes)):
        roots.setdefault(find(i), []).append(i)
    return [np.array(m) for m in roots.values()]


def _skew(centres: np.ndarray, text_h: float) -> float:
    """Slope dy/dx of the text lines: median over each glyph's nearest right neighbour."""
    dx = centres[None, :, 0] - centres[:, None, 0]
    dy = centres[None, :, 1] - centres[:, None, 1]
    ok = (dx > 0) & (dx < 3 * text_h) & (np.abs(dy) < 0.6 * text_h)
    dx_masked = np.where(ok, dx, np.inf)
    nearest = dx_masked.argmin(axis=1)
    has = np.isfinite(dx_masked.min(axis=1))
    if not has.any():
        return 0.0
    rows = np.nonzero(has)[0]
    slope = dy[rows, nearest[rows]] / dx[rows, nearest[rows]]
    return float(np.clip(np.median(slope), -0.3, 0.3))


def _group_lines(boxes: np.ndarray, text_h: float) -> list[list[int]]:
    """Glyph indices per line: de-skewed centres clustered top to bottom, sorted by x."""
    centres = boxes[:, :2] + boxes[:, 2:] / 2
    slope = _skew(centres, text_h)
    level = centres[:, 1] - slope * centres[:, 0]
    order = np.argsort(level, kind="stable")
    lines, current = [], [int(order[0])]
    for prev, i in zip(order[:-1], order[1:], strict=True):
        if level[i] - level[prev] > LINE_GAP * text_h:
            lines.append(current)
            current = []
        current.append(int(i))
    lines.append(current)
    return [sorted(line, key=lambda i: (boxes[i, 0], boxes[i, 1])) for line in lines]


def _slot(image: InkImage, labels: np.ndarray, ids: np.ndarray, box, line_h: float) -> Slot:
    """The glyph made of components ``ids`` at ``box``, with a split if it is wide."""
    x, y, w, h = (int(v) for v in box)
    patch = labels[y : y + h, x : x + w]
    own = patch == ids[0] if len(ids) == 1 else np.isin(patch, ids)
    crop = np.where(own, image.ink[y : y + h, x : x + w], 0).astype(np.uint8)
    glyph = Glyph(_to_original((x, y, w, h), image.scale), crop)
    if w <= SPLIT_WIDTH * line_h:
        return Slot(glyph)
    parts = max(2, min(4, round(w / (PART_WIDTH * line_h))))
    return Slot(glyph, _split(crop, own, (x, y), parts, image.scale))


def _split(crop: np.ndarray, own: np.ndarray, origin: tuple, parts: int, scale: float):
    """Cut a wide glyph into ``parts`` pieces at vertical-projection minima."""
    width = crop.shape[1]
    profile = cv2.GaussianBlur(own.sum(axis=0).astype(np.float32)[None], (5, 1), 0)[0]
    cuts, step = [0], width / parts
    for k in range(1, parts):
        lo, hi = int(k * step - 0.3 * step), int(k * step + 0.3 * step) + 1
        lo = max(lo, cuts[-1] + 1)
        if hi <= lo:
            return []
        window = profile[lo:hi]
        lowest = np.nonzero(window <= window.min() + 0.5)[0] + lo  # ties: nearest to expected
        cuts.append(int(lowest[np.abs(lowest - k * step).argmin()]))
    cuts.append(width)
    glyphs = []
    for a, b in zip(cuts[:-1], cuts[1:], strict=True):
        piece = crop[:, a:b]
        rows = np.nonzero(piece.any(axis=1))[0]
        if rows.size == 0:
            return []
        y0, y1 = int(rows[0]), int(rows[-1]) + 1
        box = (origin[0] + a, origin[1] + y0, b - a, y1 - y0)
        glyphs.append(Glyph(_to_original(box, scale), piece[y0:y1]))
    return glyphs


def _to_original(box: tuple, scale: float) -> Box:
    """A working-resolution box in original-image pixels."""
    x, y, w, h = box
    return (
        int(round(x * scale)),
        int(round(y * scale)),
        max(1, int(round(w * scale))),
        max(1, int(round(h * scale))),
    )
