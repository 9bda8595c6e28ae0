"""Crop normalization: aspect, fit box, centring, polarity, stroke width."""

import cv2
import numpy as np
import pytest

from hwr_edge.convention import InputConvention
from hwr_edge.normalize import normalize_crop, stroke_width


def ink_box(img: np.ndarray) -> tuple[int, int, int, int]:
    ys, xs = np.nonzero(img > 127)
    return xs.min(), ys.min(), xs.max() + 1, ys.max() + 1


def test_empty_crop_gives_zeros():
    out = normalize_crop(np.zeros((40, 30), np.uint8), InputConvention())
    assert out.shape == (28, 28) and out.dtype == np.uint8 and not out.any()


def test_rejects_colour_input():
    with pytest.raises(ValueError):
        normalize_crop(np.zeros((10, 10, 3), np.uint8), InputConvention())


def test_aspect_kept_and_longest_side_fits_box():
    tall = np.zeros((120, 60), np.uint8)
    tall[10:110, 20:40] = 255  # 100 x 20 bar with margins
    out = normalize_crop(tall, InputConvention(fit_box=20))
    x0, y0, x1, y1 = ink_box(out)
    assert 19 <= y1 - y0 <= 21
    assert 3 <= x1 - x0 <= 5


def test_box_centring_and_polarity():
    crop = np.zeros((50, 50), np.uint8)
    crop[5:20, 30:45] = 200  # off-centre square, grey ink
    out = normalize_crop(crop, InputConvention(center="box", fit_box=20))
    x0, y0, x1, y1 = ink_box(out)
    assert abs((x0 + x1) / 2 - 14) <= 1 and abs((y0 + y1) / 2 - 14) <= 1
    assert out[0, 0] == 0 and out.max() == 255


def test_mass_centring_puts_centre_of_mass_in_the_middle():
    l_shape = np.zeros((60, 60), np.uint8)
    l_shape[5:55, 5:15] = 255
    l_shape[45:55, 5:45] = 255
    out = normalize_crop(l_shape, InputConvention(center="mass", fit_box=20)).astype(float)
    ys, xs = np.mgrid[0:28, 0:28]
    cy, cx = (ys * out).sum() / out.sum(), (xs * out).sum() / out.sum()
    assert abs(cy - 13.5) <= 1.0 and abs(cx - 13.5) <= 1.0
    box = normalize_crop(l_shape, InputConvention(center="box", fit_box=20)).astype(float)
    assert abs((xs * box).sum() / box.sum() - cx) > 1.0  # the two conventions differ here


@pytest.mark.parametrize("pen", [2, 30])
def test_stroke_width_is_normalized(pen):
    img = np.zeros((140, 100), np.uint8)
    seven = np.array([[15, 15], [85, 15], [40, 125]], np.int32)  # a stroke-drawn "7"
    cv2.polylines(img, [seven], False, 255, pen)
    plain = normalize_crop(img, InputConvention(fit_box=20))
    fixed = normalize_crop(img, InputConvention(fit_box=20, stroke_px=2.5))
    assert 1.6 <= stroke_width(fixed > 127) <= 3.6
    if pen == 30:
        assert stroke_width(plain > 127) > stroke_width(fixed > 127) + 0.5


def test_solid_block_is_normalized_quickly():
    block = np.full((300, 300), 255, np.uint8)  # no boundary inside: stroke width is unbounded
    out = normalize_crop(block, InputConvention(fit_box=20, stroke_px=2.5))
    assert out.shape == (28, 28) and out.max() == 255


def test_blur_softens_the_crop_only_when_the_convention_asks():
    img = np.zeros((140, 100), np.uint8)
    cv2.polylines(img, [np.array([[15, 15], [85, 15], [40, 125]], np.int32)], False, 255, 8)
    sharp = normalize_crop(img, InputConvention(fit_box=20, stroke_px=2.5))
    soft = normalize_crop(img, InputConvention(fit_box=20, stroke_px=2.5, blur=0.5))
    assert np.array_equal(sharp, normalize_crop(img, InputConvention(fit_box=20, stroke_px=2.5)))
    assert (soft == 255).sum() < (sharp == 255).sum() // 2
    assert ((soft > 0) & (soft < 255)).sum() > ((sharp > 0) & (sharp < 255)).sum()
    assert abs(int(soft.sum()) - int(sharp.sum())) < 0.05 * int(sharp.sum())


def test_hairline_in_a_wide_box_keeps_its_ink():
    wavy = np.zeros((130, 700), np.uint8)  # a wavy ruled line taken for one glyph
    xs = np.arange(700)
    wavy[(65 + 60 * np.sin(xs / 700 * 2 * np.pi)).astype(int), xs] = 255
    out = normalize_crop(wavy, InputConvention(fit_box=20, stroke_px=2.5))
    assert out.shape == (28, 28) and out.max() > 0
