"""Unsharp masks for blurred photos: the shake's direction and the line kernel."""

import cv2
import numpy as np
import pytest

from hwr_edge.sharpen import line_kernel, shake_direction


def text_photo() -> np.ndarray:
    img = np.full((300, 700), 235, np.uint8)
    cv2.putText(img, "HELLO 42", (60, 200), cv2.FONT_HERSHEY_SIMPLEX, 3.0, 40, 6)
    return img


@pytest.mark.parametrize("degrees", [0, 90, 135])
def test_a_shake_is_told_with_its_direction(degrees):
    # (a shake of this length at 45 degrees leaves "HELLO 42" gradients 0.53 as strong along
    # it as across: not told, a known limit for text whose strokes run along that diagonal)
    kernel = line_kernel(np.radians(degrees), 6.0)
    angle = shake_direction(cv2.filter2D(text_photo(), -1, kernel))
    assert angle is not None
    off = abs((np.degrees(angle) - degrees + 90) % 180 - 90)  # a direction, not a heading
    assert off < 12


def test_a_lens_out_of_focus_is_no_shake():
    assert shake_direction(cv2.GaussianBlur(text_photo(), (0, 0), 4.0)) is None


def test_the_line_kernel_is_a_normalized_line_along_its_angle():
    flat = line_kernel(0.0, 2.0)
    assert flat.shape == (13, 13)
    assert np.isclose(flat.sum(), 1.0)
    assert np.count_nonzero(flat[6]) == 13 and np.count_nonzero(np.delete(flat, 6, 0)) == 0
    steep = line_kernel(np.pi / 2, 2.0)
    assert np.allclose(steep, flat.T, atol=1e-6)
