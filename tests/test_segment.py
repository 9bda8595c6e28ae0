"""Segmentation: lines, words, merged pieces, touching pairs, reading order."""

import cv2
import numpy as np

from hwr_edge.preprocess import InkImage
from hwr_edge.segment import segment

FONT = cv2.FONT_HERSHEY_SIMPLEX


def ink_from(draw, shape=(400, 700), text_h=40.0, angle=0.0) -> InkImage:
    """InkImage from a drawing callback on a black canvas, optionally rotated."""
    img = np.zeros(shape, np.uint8)
    draw(img)
    if angle:
        m = cv2.getRotationMatrix2D((shape[1] / 2, shape[0] / 2), angle, 1.0)
        img = cv2.warpAffine(img, m, (shape[1], shape[0]))
    mask = (img > 127).astype(np.uint8)
    return InkImage(img * mask, mask, 1.0, text_h)


def texts(draws):
    def draw(img):
        for text, (x, y) in draws:
            cv2.putText(img, text, (x, y), FONT, 1.4, 255, 4)

    return draw


def shape_of(lines):
    """Glyphs per word per line (a joined slot counts its glyphs)."""

    def glyphs(word):
        return sum(slot.nodes - 1 if slot.joined else 1 for slot in word)

    return [[glyphs(word) for word in words] for words in lines]


def test_lines_and_words_in_reading_order():
    ink = ink_from(texts([("AB CD", (60, 120)), ("EFG", (60, 240))]), text_h=30)
    lines = segment(ink)
    assert shape_of(lines) == [[2, 2], [3]]
    first = [s.glyph.box for w in lines[0] for s in w]
    assert all(a[0] < b[0] for a, b in zip(first, first[1:], strict=False))
    assert lines[0][0][0].glyph.box[1] < lines[1][0][0].glyph.box[1]


def test_overlapping_letter_boxes_do_not_make_letter_gaps_word_gaps():
    """Slanted letters whose boxes overlap (gaps below 0) say nothing about the usual gap
    between letters: a line's other letter gaps stay inside its words."""

    def draw(img):
        x = 40
        for _ in range(4):  # slanted strokes, boxes overlapping, ink apart
            cv2.line(img, (x, 160), (x + 16, 120), 255, 3)
            x += 13
        x += 16 + 13
        for gap in (13, 13, 13, 30, 13, 0):  # bars 13 px apart, then a word gap
            cv2.rectangle(img, (x, 120), (x + 5, 160), 255, -1)
            x += 6 + gap

    lines = segment(ink_from(draw, text_h=40))
    assert shape_of(lines) == [[8, 2]]


def test_the_walls_of_a_form_s_cells_decide_the_word_gaps_they_stand_in():
    """Characters one a cell stand farther apart than any writer's letters: a gap across one
    wall between cells is a letter gap, across two (an empty cell) a word gap, and so is one
    out of the box the walls belong to (a label written before it)."""
    from hwr_edge.rules import CELL_WALL, FRAME

    digits = [(digit, (236 + 48 * k, 150)) for k, digit in enumerate("125 79") if digit != " "]
    width = cv2.getTextSize("DATE", FONT, 1.4, 4)[0][0]
    ink = ink_from(texts([("DATE", (226 - width, 150)), *digits]), text_h=30)  # 10 px apart
    assert shape_of(segment(ink))[0][0] == 5  # the label joins the box's first digit
    ink = ink_from(texts([("DATE", (40, 150)), *digits]), text_h=30)
    assert shape_of(segment(ink)) == [[4, 1, 1, 1, 1, 1]]  # no walls: the gaps decide
    walls = [(228 + 48 * k, 105, 3, 60, CELL_WALL) for k in range(1, 6)]
    walls.append((228, 105, 48 * 6, 60, FRAME))
    ink.walls = np.array(walls, np.float64)
    assert shape_of(segment(ink)) == [[4, 3, 2]]
    ink = ink_from(texts([("DATE", (226 - width, 150)), *digits]), text_h=30)
    ink.walls = np.array(walls, np.float64)
    assert shape_of(segment(ink)) == [[4, 3, 2]]  # the box's end parts them


def test_slightly_rotated_lines_are_not_interleaved():
    draw = texts([("ABCDEFGH JK", (40, 160)), ("LMNPRSTU VW", (40, 260))])
    lines = segment(ink_from(draw, angle=4.0, text_h=30))
    assert shape_of(lines) == [[8, 2], [8, 2]]
    for words in lines:
        xs = [s.glyph.box[0] for w in words for s in w]
        assert xs == sorted(xs)


def test_lines_on_a_bent_page_are_followed_not_interleaved():
    """Lines that curve together (a bent notebook page) or converge (perspective) overlap in
    height across the page; each line is followed along its own course."""

    def draw(img):
        for row, base in enumerate((110, 160, 210)):
            for k, letter in enumerate("ABCDEFGHKLMNPRST"):
                x = 30 + 40 * k
                bend = 22 * np.sin(2 * np.pi * x / 640) - (row - 1) * 0.02 * x
                cv2.putText(img, letter, (x, int(base + bend)), FONT, 1.1, 255, 3)

    lines = segment(ink_from(draw, shape=(400, 700), text_h=30))
    assert [sum(shape) for shape in shape_of(lines)] == [16, 16, 16]
    tops = np.array([[s.glyph.box[1] for w in words for s in w] for words in lines])
    assert (np.diff(tops, axis=0) > 0).all()  # each letter below the one above it


def test_letters_of_two_lines_touching_are_cut_apart_but_a_large_letter_is_not():
    def draw(img):
        cv2.putText(img, "ABCDEF", (40, 100), FONT, 1.4, 255, 4)
        cv2.putText(img, "GHKLMN", (40, 140), FONT, 1.4, 255, 4)
        cv2.line(img, (110, 97), (111, 115), 255, 3)  # C's tail on K: one component
        cv2.putText(img, "B", (40, 330), FONT, 3.0, 255, 6)  # a title's capital, twice as tall
        cv2.putText(img, "ROWN", (110, 330), FONT, 1.4, 255, 4)

    lines = segment(ink_from(draw, text_h=30))
    assert [sum(shape) for shape in shape_of(lines[:2])] == [6, 6]
    heights = [s.glyph.box[3] for words in lines[:2] for w in words for s in w]
    assert max(heights) < 38  # no glyph spans both lines (letters: 28 px)
    assert max(s.glyph.box[3] for words in lines[2:] for w in words for s in w) > 55  # B whole


def test_three_lines_with_scale_from_original_pixels():
    ink = ink_from(texts([("12", (50, 80)), ("34", (50, 180)), ("56", (50, 280))]), text_h=30)
    ink.scale = 2.0
    lines = segment(ink)
    assert shape_of(lines) == [[2], [2], [2]]
    assert lines[2][0][0].glyph.box[1] > 2 * 200


def test_dot_and_broken_stroke_merge_into_one_character():
    def draw(img):
        cv2.rectangle(img, (100, 150), (108, 200), 255, -1)  # i: stem
        cv2.circle(img, (104, 133), 5, 255, -1)  # and dot
        cv2.rectangle(img, (200, 140), (208, 165), 255, -1)  # a vertical stroke broken in two
        cv2.rectangle(img, (200, 172), (208, 200), 255, -1)
        cv2.putText(img, "A", (300, 200), FONT, 2.0, 255, 5)

    lines = segment(ink_from(draw, text_h=55))
    assert shape_of(lines) == [[1, 1, 1]]
    # each glyph says whether its top piece is a dot (an i's dot tells it from an l)
    assert [word[0].glyph.dot for word in lines[0]] == [True, False, False]


def test_a_slanted_i_s_dot_beside_its_stem_is_its_dot_and_no_line_of_its_own():
    def draw(img):
        cv2.putText(img, "an quo", (20, 160), FONT, 1.6, 255, 5)
        cv2.line(img, (240, 160), (246, 130), 255, 6)  # an i's stem leaning right ...
        cv2.circle(img, (258, 114), 3, 255, -1)  # ... its dot beside it, not above it
        cv2.putText(img, "ck one", (270, 160), FONT, 1.6, 255, 5)

    lines = segment(ink_from(draw, text_h=30))
    assert len(lines) == 1
    glyphs = [slot.glyph for word in lines[0] for slot in word]
    assert len(glyphs) == 11
    assert glyphs[5].dot and glyphs[5].box[1] <= 111


def test_a_dot_beside_a_round_letter_is_not_taken_for_its_dot():
    def draw(img):
        cv2.putText(img, "no", (60, 160), FONT, 1.6, 255, 5)
        cv2.circle(img, (138, 114), 3, 255, -1)  # a speck above and beside the o

    glyphs = [slot.glyph for word in segment(ink_from(draw, text_h=30))[0] for slot in word]
    assert not any(g.dot for g in glyphs)
    assert all(g.box[1] > 111 for g in glyphs)


def test_a_descending_letter_after_a_wide_gap_stays_on_its_line():
    # tall digits, then "jam" in a hand whose text height is its x-height: the j's centre
    # sits well under the digits' centres, off the course by more than LINE_GAP
    def draw(img):
        for x in (60, 100, 140):
            cv2.rectangle(img, (x, 100), (x + 24, 140), 255, 5)
        cv2.line(img, (250, 120), (250, 150), 255, 5)  # the j (its dot lost), below the line
        cv2.line(img, (250, 150), (240, 156), 255, 5)
        for x in (262, 292):
            cv2.circle(img, (x + 10, 130), 10, 255, 4)

    lines = segment(ink_from(draw, text_h=20))
    assert len(lines) == 1
    assert len([slot for word in lines[0] for slot in word]) == 6


def test_a_tall_digit_broken_in_two_among_lower_case_letters_is_one_glyph():
    # lower-case notes: the text height is the x-height (22 px), digits are 1.7 of it tall;
    # a 6 whose top a rule's removal cut off is 1.9 text heights tall in all, over
    # MERGE_HEIGHT (1.4), but not taller than the page's tall glyphs allow
    def draw(img):
        cv2.putText(img, "an on 48", (40, 160), FONT, 1.8, 255, 4)
        x = 300
        cv2.ellipse(img, (x + 12, 148), (10, 11), 0, 0, 360, 255, 4)
        cv2.line(img, (x + 2, 146), (x + 9, 132), 255, 4)
        cv2.line(img, (x + 12, 126), (x + 18, 122), 255, 4)  # its top, 4 px above the rest

    (line,) = segment(ink_from(draw, text_h=22))
    glyphs = [slot.glyph for word in line for slot in word]
    assert len(glyphs) == 7
    assert glyphs[-1].box[1] <= 121 and glyphs[-1].box[3] >= 40


def test_touching_pair_gets_split_pieces_and_a_narrow_glyph_at_most_one_cut():
    def draw(img):
        for x in (100, 145):  # two touching L's
            cv2.rectangle(img, (x, 100), (x + 8, 160), 255, -1)
            cv2.rectangle(img, (x, 152), (x + 50, 160), 255, -1)
        cv2.putText(img, "H", (215, 160), FONT, 2.0, 255, 6)

    lines = segment(ink_from(draw, text_h=60))
    ((first, second),) = lines[0]
    assert first.nodes > 3 and second.nodes <= 3  # the H: at most an "11"-style pair cut
    assert first.pieces[0].start == 0 and first.pieces[0].end == first.nodes - 1
    halves = [
        (a, b)
        for a in first.pieces[1:]
        for b in first.pieces[1:]
        if a.start == 0 and a.end == b.start and b.end == first.nodes - 1
    ]
    assert halves, "no two-piece reading of the touching pair"
    left, right = min(halves, key=lambda ab: abs(ab[0].glyph.box[2] - ab[1].glyph.box[2]))
    assert left.glyph.box[0] + left.glyph.box[2] <= right.glyph.box[0] + 2
    assert abs(left.glyph.box[2] - right.glyph.box[2]) < 20


def test_a_pair_too_narrow_to_cut_at_once_is_cut_on_demand_and_a_bar_never():
    def draw(img):
        for x in (60, 140, 220):  # E's for the line's typical width
            cv2.putText(img, "E", (x, 160), FONT, 3.0, 255, 8)
        for x in (300, 322):  # two narrow touching L's, together about one E wide
            cv2.rectangle(img, (x, 100), (x + 7, 160), 255, -1)
            cv2.rectangle(img, (x, 152), (x + 24, 160), 255, -1)
        cv2.rectangle(img, (380, 100), (387, 160), 255, -1)  # an I

    (line,) = segment(ink_from(draw, text_h=60))
    pair, bar = [slot for word in line for slot in word][-2:]
    assert len(pair.pieces) == 1 and pair.cut is not None and bar.cut is None
    cut = pair.cut()
    assert cut.glyph is pair.glyph and cut.nodes > 2
    ends = {(p.start, p.end) for p in cut.pieces[1:]}
    assert any((0, k) in ends and (k, cut.nodes - 1) in ends for k in range(1, cut.nodes - 1))


def test_round_letters_touching_at_a_point_get_a_cut_through_the_point():
    def draw(img):
        for cx in (130, 190):  # an O touching an O (or a D's bowl): a point where they meet
            cv2.ellipse(img, (cx, 130), (30, 30), 0, 0, 360, 255, 6)
        cv2.putText(img, "E", (260, 160), FONT, 2.0, 255, 6)

    (line,) = segment(ink_from(draw, text_h=60))
    pair = [slot for word in line for slot in word][0]
    apart = [
        (a, b)
        for a in pair.pieces[1:]
        for b in pair.pieces[1:]
        if a.start == 0 and a.end == b.start and b.end == pair.nodes - 1
    ]
    widths = [(a.glyph.box[2], b.glyph.box[2]) for a, b in apart]
    assert any(abs(left - 66) <= 6 and abs(right - 66) <= 6 for left, right in widths), widths


def test_touching_run_of_three_gets_pieces_for_each_character():
    def draw(img):
        for x in (100, 140, 180):  # three touching L's, then a separate E for the line's widths
            cv2.rectangle(img, (x, 100), (x + 8, 160), 255, -1)
            cv2.rectangle(img, (x, 152), (x + 40, 160), 255, -1)
        cv2.putText(img, "E", (260, 160), FONT, 2.0, 255, 6)

    (line,) = segment(ink_from(draw, text_h=60))
    run, single = [slot for word in line for slot in word]
    assert len(single.pieces) == 1
    assert run.nodes >= 4
    narrow = [p for p in run.pieces[1:] if p.glyph.box[2] < 55]
    lefts = sorted({p.glyph.box[0] for p in narrow})
    assert len(narrow) >= 3 and lefts[0] < 110 and lefts[-1] >= 175


def test_split_pieces_keep_only_their_own_ink():
    def draw(img):
        cv2.line(img, (100, 100), (130, 160), 255, 8)  # a slanted stroke leaning into
        cv2.line(img, (118, 100), (118, 160), 255, 8)  # an upright one: a cut must bend
        cv2.rectangle(img, (100, 152), (175, 160), 255, -1)
        cv2.rectangle(img, (167, 100), (175, 160), 255, -1)

    ((slot,),) = segment(ink_from(draw, text_h=60))[0]
    total = int((slot.glyph.crop > 0).sum())
    for piece in slot.pieces[1:]:
        assert 0 < int((piece.glyph.crop > 0).sum()) < total


def test_pieces_a_pen_lift_left_side_by_side_share_a_joined_slot():
    def draw(img):
        cv2.rectangle(img, (100, 100), (108, 160), 255, -1)  # an H whose bar stops short
        cv2.rectangle(img, (114, 127), (134, 134), 255, -1)  # of both stems
        cv2.rectangle(img, (140, 100), (148, 160), 255, -1)
        for x in (220, 237):  # two stems 0.13 line heights apart (an "11"), and an E
            cv2.rectangle(img, (x, 100), (x + 8, 160), 255, -1)
        cv2.putText(img, "E", (330, 160), FONT, 2.0, 255, 6)

    (line,) = segment(ink_from(draw, text_h=60))
    slots = [slot for word in line for slot in word]
    assert [slot.joined for slot in slots] == [True, False, False, False]
    h = slots[0]
    assert h.nodes == 4 and (h.pieces[0].start, h.pieces[0].end) == (0, 3)
    assert h.pieces[0].glyph.box[0] == 100 and h.pieces[0].glyph.box[2] == 49  # the union
    spans = sorted((p.start, p.end) for p in h.pieces)
    assert spans == [(0, 1), (0, 2), (0, 3), (1, 2), (1, 3), (2, 3)]
    stem, bar = (next(p for p in h.pieces if (p.start, p.end) == s) for s in ((0, 1), (1, 2)))
    assert stem.glyph.box[2] == 9 and bar.glyph.box[:3] == (114, 127, 21)
    assert int((h.pieces[0].glyph.crop > 0).sum()) == sum(
        int((p.glyph.crop > 0).sum()) for p in h.pieces if p.end - p.start == 1
    )


def test_a_speck_beside_a_letter_shares_its_joined_slot_and_one_further_off_does_not():
    # a piece a broken stroke left 3 px beside an L's foot may be the L's; a full stop 10 px
    # (a quarter of the line's height) after a letter is no piece of it
    def draw(img):
        cv2.putText(img, "TEL", (60, 160), FONT, 2.0, 255, 6)
        x1 = int(np.flatnonzero(img.any(axis=0)).max())
        cv2.rectangle(img, (x1 + 3, 154), (x1 + 8, 159), 255, -1)
        cv2.putText(img, "AB", (400, 160), FONT, 2.0, 255, 6)
        x2 = int(np.flatnonzero(img.any(axis=0)).max())
        cv2.rectangle(img, (x2 + 10, 154), (x2 + 15, 159), 255, -1)

    ink = ink_from(draw, text_h=60)
    (line,) = segment(ink)
    tel, ab = line
    assert [slot.joined for slot in tel] == [False, False, True]
    spans = sorted((p.start, p.end) for p in tel[2].pieces)
    assert spans == [(0, 1), (0, 2), (1, 2)]  # the L, the speck, and the two as one
    assert [slot.joined for slot in ab] == [False, False, False]
    assert ab[2].glyph.box[2] < 10  # the full stop is a slot of its own


def test_a_speck_far_from_the_text_is_no_line_but_small_writing_is():
    # a shadow's edge leaves a few pixels of ink where it meets the frame: they read "?" on
    # a line of their own; writing smaller than the text (a "x" half its height) stays
    def draw(img, small_writing):
        cv2.putText(img, "AB CD", (60, 120), FONT, 1.4, 255, 4)
        cv2.rectangle(img, (300, 390), (307, 397), 255, -1)  # 8 x 8 px at the bottom edge
        if small_writing:
            cv2.putText(img, "x", (500, 260), FONT, 0.8, 255, 2)

    assert shape_of(segment(ink_from(lambda img: draw(img, False), text_h=30))) == [[2, 2]]
    lines = segment(ink_from(lambda img: draw(img, True), text_h=30))
    assert shape_of(lines) == [[2, 2], [1]]


def bar(top_piece=None, serifs=False) -> np.ndarray:
    """A 60 px tall, 12 px wide stem drawn with a thick pen, optionally under a dot joined to
    it by a narrow neck (an i written fast) or with a capital I's serifs."""
    img = np.zeros((70, 40), np.uint8)
    cv2.line(img, (20, 24), (20, 64), 200, 12)
    if top_piece == "dot":
        cv2.circle(img, (20, 10), 6, 200, -1)
        cv2.line(img, (20, 14), (20, 20), 200, 3)  # the neck the pen left between them
    if serifs:
        cv2.line(img, (8, 6), (32, 6), 200, 10)
        cv2.line(img, (20, 6), (20, 24), 200, 12)
        cv2.line(img, (8, 64), (32, 64), 200, 10)
    ys, xs = np.nonzero(img)
    return img[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]


def test_an_i_whose_dot_the_pen_joined_to_its_stem_is_dotted():
    from hwr_edge.segment import _joined_dot

    assert _joined_dot(bar("dot"))
    assert not _joined_dot(bar())  # an l
    assert not _joined_dot(bar(serifs=True))  # a capital I
    i = bar("dot")
    wide = cv2.resize(i, (i.shape[1] * 4, i.shape[0]))  # its waist, but wider than half its height
    assert not _joined_dot(wide)


def test_empty_mask_has_no_lines():
    assert segment(ink_from(lambda img: None, text_h=0)) == []


def test_a_line_of_lower_case_letters_is_not_tilted_by_their_heights():
    # "Room 12": a tall R, three x-height letters sitting on the line, then "12" after a
    # word gap; fitted to the R's and the o's centres, the line tilted down and lost the 12
    def draw(img):
        for x, y, w, h in [(364, 316, 31, 42), (402, 330, 25, 27), (436, 330, 22, 31)]:
            cv2.rectangle(img, (x, y), (x + w, y + h), 255, 4)
        for x, y, w, h in [(465, 330, 29, 32), (530, 314, 17, 42), (562, 317, 28, 40)]:
            cv2.rectangle(img, (x, y), (x + w, y + h), 255, 4)
        for x in (364, 398, 428):  # a second line below
            cv2.rectangle(img, (x, 392), (x + 24, 420), 255, 4)

    lines = segment(ink_from(draw, shape=(500, 700), text_h=31))
    assert shape_of(lines) == [[4, 2], [3]]


def test_pieces_are_merged_the_same_across_the_blocks_they_are_compared_in():
    # a lone box, then 300 i's (a stem and its dot): the pairs straddle the PAIR_BLOCK rows
    # that are compared at a time, and every dot still joins its own stem, no other
    from hwr_edge.segment import PAIR_BLOCK, _merge_pieces

    boxes = [[0, 0, 8, 30]]
    for k in range(300):
        x = 40 + 30 * k
        boxes += [[x, 12, 6, 30], [x, 0, 6, 6]]  # stem, then its dot above
    groups = _merge_pieces(np.array(boxes, dtype=np.float64), 40.0)
    assert len(boxes) > 2 * PAIR_BLOCK
    assert sorted(sorted(g.tolist()) for g in groups) == [[0]] + [
        [i, i + 1] for i in range(1, 601, 2)
    ]
