"""Sideways photos without an EXIF tag and tilted ones: telling them, and mapping boxes back."""

import cv2
import numpy as np
import pytest

from hwr_edge.orientation import QUARTER_TURNS, level_back, levelled, sideways, tilt, turn_back
from hwr_edge.results import Char, Line, Word


def row_of_letters(n=8, x0=20, y0=50, w=24, h=36, gap=8):
    return [(x0 + i * (w + gap), y0, w, h) for i in range(n)]


def test_letters_in_rows_are_upright_and_in_columns_sideways():
    two_lines = row_of_letters() + row_of_letters(y0=120)
    assert not sideways(two_lines)
    turned = [(y, x, h, w) for x, y, w, h in two_lines]  # the same page turned a quarter
    assert sideways(turned)


def test_a_list_one_character_per_line_is_not_sideways():
    # a column, but the items stand a line apart, not a letter gap apart
    column = [(40, 30 + i * 70, 24, 36) for i in range(7)]
    assert not sideways(column)
    assert not sideways([(y, x, h, w) for x, y, w, h in row_of_letters(5)])  # too few to tell


@pytest.mark.parametrize("turn", QUARTER_TURNS)
def test_a_box_found_on_the_turned_photo_maps_back_to_the_photo(turn):
    photo = np.zeros((120, 200), np.uint8)
    box = (30, 15, 50, 20)
    x, y, w, h = box
    photo[y : y + h, x : x + w] = 255
    turned = cv2.rotate(photo, turn)
    assert turn_back(cv2.boundingRect(turned), turn, photo.shape) == box


@pytest.mark.parametrize("degrees", [-20.0, -8.0, 0.0, 12.0])
def test_the_tilt_of_a_reading_s_lines_is_measured_and_a_levelled_box_maps_back(degrees):
    slope = np.tan(np.radians(degrees))
    lines = [
        Line([Word([Char("A", 0.9, (x, int(y0 + slope * x), 24, 36)) for x in range(20, 300, 32)])])
        for y0 in (50, 150)
    ]
    assert tilt(lines) == pytest.approx(degrees, abs=1.0)  # whole pixels
    photo = np.zeros((300, 400), np.uint8)
    cv2.circle(photo, (260, 90), 12, 255, -1)
    flat, back = levelled(photo, degrees)
    box = level_back(cv2.boundingRect(flat), back, photo.shape)
    x, y, w, h = cv2.boundingRect(photo)
    assert box[0] <= x and box[1] <= y and box[0] + box[2] >= x + w and box[1] + box[3] >= y + h
    assert box[2] * box[3] <= 2 * w * h  # a box turned back and forth: at most twice as large


def test_too_few_steps_between_characters_tell_no_tilt():
    line = Line([Word([Char("A", 0.9, (20, 50, 24, 36)), Char("B", 0.9, (60, 80, 24, 36))])])
    assert tilt([line, line]) == 0.0
