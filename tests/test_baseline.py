"""Descenders: a glyph's bottom against its neighbours' baseline."""

import numpy as np

from hwr_edge.baseline import descends
from hwr_edge.segment import Glyph, Piece, Slot


def line(boxes):
    """One line of one word, a slot per ``(x, y, w, h)`` box."""
    crop = np.zeros((1, 1), np.uint8)
    return [[[Slot([Piece(Glyph(tuple(b), crop), 0, 1, 1.0)]) for b in boxes]]]


def row(bottoms, slope=0.0, top=60):
    """Glyph boxes 30 px apart from ``top`` down to ``bottoms`` (a descender reaches lower),
    on a line of ``slope``."""
    return [(10 + 30 * i, top + slope * 30 * i, 25, b - top) for i, b in enumerate(bottoms)]


def test_a_glyph_on_the_baseline_does_not_descend_one_below_does():
    flags = descends(line(row([100, 100, 100, 114, 100, 100])))
    assert flags.tolist() == [False, False, False, True, False, False]


def test_small_baseline_jitter_is_no_descender():
    assert not descends(line(row([100, 103, 98, 101, 104, 99]))).any()


def test_a_tilted_line_has_no_descenders_but_its_g_still_has():
    bottoms = [100, 100, 100, 100, 100, 100, 100, 100]
    assert not descends(line(row(bottoms, slope=0.12))).any()
    bottoms[5] += 14
    assert descends(line(row(bottoms, slope=0.12))).tolist() == [False] * 5 + [True, False, False]


def test_several_descenders_in_a_row_keep_their_baseline():
    # "egg": the two g's are each other's neighbours; the e still gives the baseline
    assert descends(line(row([100, 114, 114]))).tolist() == [False, True, True]


def test_a_lone_glyph_cannot_be_told_and_counts_as_descending():
    assert descends(line(row([100]))).tolist() == [True]
