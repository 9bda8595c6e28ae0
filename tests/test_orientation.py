"""Sideways photos without an EXIF tag: telling them, and mapping boxes back."""

import cv2
import numpy as np
import pytest

from hwr_edge.orientation import QUARTER_TURNS, sideways, turn_back


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
