"""Descenders and rises: a glyph's bottom and top against its neighbours' baseline."""

import numpy as np

from hwr_edge.baseline import positions
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


def descends(lines):
    return positions(lines)[0]


def rises(boxes):
    return positions(line(boxes))[1].round(2).tolist()


def test_x_height_letters_rise_about_two_thirds_of_the_tall_ones():
    # "tax": t rises 40 px above the baseline at 100, a and x 26
    assert rises([(10, 60, 25, 40), (40, 74, 25, 26), (70, 74, 25, 26)]) == [1.0, 0.65, 0.65]


def test_a_letter_below_a_tall_one_with_a_tail_is_still_x_height():
    # "Quap": the Q's tail and the p's stem reach 14 px below the baseline at 100; the x-height
    # u and a are under half the Q's height, the p (tall with its stem) 0.74
    boxes = [(10, 60, 25, 54), (40, 74, 25, 26), (70, 74, 25, 26), (100, 74, 25, 40)]
    assert rises(boxes) == [1.0, 0.48, 0.48, 0.74]


def test_a_bent_line_does_not_make_a_capital_x_height():
    # "SOUTH" on a bent page: each letter sits 6 px lower than the one before, but all are
    # 40 px tall
    assert rises([(10 + 30 * i, 60 + 6 * i, 25, 40) for i in range(5)]) == [1.0] * 5


def test_capitals_of_uneven_height_all_count_as_tall():
    # "CWU": the tallest capital is a tenth taller than the others; none is x-height
    assert rises([(10, 56, 25, 44), (40, 60, 25, 40), (70, 60, 25, 40)]) == [1.1, 1.0, 1.0]


def test_one_tall_letter_in_a_line_of_x_height_ones_is_the_measure():
    # "one word at 6pm" as x-height letters and a single 6: the 6 is the tall letter
    boxes = [(10 + 30 * i, 74, 25, 26) for i in range(9)] + [(280, 60, 25, 40)]
    assert rises(boxes) == [0.65] * 9 + [1.0]


def test_a_glyph_far_above_the_line_is_not_the_measure():
    # a speck three times as high as the letters (a smudge merged into the line)
    boxes = [(10 + 30 * i, 60, 25, 40) for i in range(5)] + [(160, -60, 25, 160)]
    assert rises(boxes)[:5] == [1.0] * 5


def written(text, pen, cap=40):
    """One line of stroke-font letters (capitals ``cap`` px tall, x-height two thirds of
    that) drawn with a ``pen`` px wide, each glyph cropped to its ink."""
    import cv2

    from export import strokefont

    slots = []
    for i, char in enumerate(text):
        canvas = np.zeros((2 * cap + 2 * pen, cap + 2 * pen), np.uint8)
        for stroke in strokefont.strokes(char):
            points = np.round(stroke * cap / 6 + pen).astype(np.int32)
            cv2.polylines(canvas, [points], False, 255, pen)
        ys, xs = np.nonzero(canvas)
        crop = canvas[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]
        box = (10 + 60 * i, 60 + int(ys.min()), crop.shape[1], crop.shape[0])
        slots.append(Slot([Piece(Glyph(box, crop), 0, 1, 1.0)]))
    return [[slots]]


def test_a_marker_s_x_height_letters_rise_as_a_fine_pen_s():
    # "MOM mom" with a felt marker: the pen adds its width to every letter, so the x-height
    # letters' boxes are 0.75 of the capitals' (x-height at 0.75 and above reads as a
    # capital); less the pen they rise as with a fine one, two thirds
    fine = positions(written("MOMmom", pen=2))[1]
    marker = positions(written("MOMmom", pen=12))[1]
    boxes = [slot.glyph.box[3] for slot in written("MOMmom", pen=12)[0][0]]
    assert boxes[3] / boxes[0] >= 0.75
    assert np.allclose(marker, fine, atol=0.05)
    assert np.all(marker[3:] < 0.7) and np.all(marker[:3] > 0.95)
