"""Sharper copies of blurred photos: the shake's length and direction, and its undoing."""

import cv2
import numpy as np
import pytest

from hwr_edge.sharpen import deshaken, line_psf, shake, wiener


def text_photo() -> np.ndarray:
    img = np.full((300, 700), 235, np.uint8)
    cv2.putText(img, "HELLO 42", (60, 200), cv2.FONT_HERSHEY_SIMPLEX, 3.0, 40, 6)
    cv2.putText(img, "QUIZ 1975", (60, 280), cv2.FONT_HERSHEY_DUPLEX, 2.0, 40, 4)
    return img


def noised(img: np.ndarray, seed: int = 0) -> np.ndarray:
    """Sensor noise and JPEG after the blur, as a camera adds them."""
    noisy = img + np.random.default_rng(seed).normal(0, 4, img.shape)
    jpeg = cv2.imencode(
        ".jpg", np.clip(noisy, 0, 255).astype(np.uint8), [cv2.IMWRITE_JPEG_QUALITY, 85]
    )
    return cv2.imdecode(jpeg[1], cv2.IMREAD_GRAYSCALE)


@pytest.mark.parametrize("length, degrees", [(9, 0), (9, 90), (12, 45), (7, 150)])
def test_a_shake_is_told_with_its_length_and_direction(length, degrees):
    shaken = noised(cv2.filter2D(text_photo(), -1, line_psf(length, np.radians(degrees))))
    found = shake(shaken, 28)
    assert found is not None
    assert abs(found[0] - length) <= 1.0
    off = abs((np.degrees(found[1]) - degrees + 90) % 180 - 90)  # a direction, not a heading
    assert off < 12  # one pixel sideways at 9 pixels is 6.3 degrees


def test_no_shake_is_told_on_blank_paper_or_a_small_crop():
    assert shake(np.full((300, 700), 235, np.uint8), 28) is None
    assert shake(text_photo()[:40], 28) is None


def test_the_line_psf_is_a_normalized_line_along_its_angle():
    flat = line_psf(9, 0.0)
    assert flat.shape == (13, 13)
    assert np.isclose(flat.sum(), 1.0)
    assert np.count_nonzero(flat[6]) == 9 and np.count_nonzero(np.delete(flat, 6, 0)) == 0
    assert np.allclose(line_psf(9, np.pi / 2), flat.T, atol=1e-6)


def error(img: np.ndarray, sharp: np.ndarray) -> float:
    """1 - the correlation of ``img`` with the sharp photo (brightness and contrast aside)."""
    return 1.0 - float(np.corrcoef(img.ravel().astype(float), sharp.ravel().astype(float))[0, 1])


def test_the_wiener_filter_undoes_a_known_shake_and_keeps_the_brightness():
    sharp = text_photo()
    shaken = cv2.filter2D(sharp, -1, line_psf(9, 0.0))
    restored = wiener(shaken, line_psf(9, 0.0), 0.01)
    assert error(restored, sharp) < 0.4 * error(shaken, sharp)
    assert abs(float(restored.mean()) - float(shaken.mean())) < 0.5


@pytest.mark.parametrize("size", [0.5, 1.0, 2.0])
def test_a_shaken_region_comes_back_sharper_at_its_own_size(size):
    # the photo at this size: its text (about 50 pixels at size 1) read at 36 working pixels
    sharp = cv2.resize(text_photo(), None, fx=size, fy=size, interpolation=cv2.INTER_AREA)
    shaken = cv2.filter2D(sharp, -1, line_psf(10 * size, np.radians(30)))
    steady = deshaken(shaken, 50 * size / 36, 36.0)
    assert steady.shape == shaken.shape
    assert error(steady, sharp) < 0.65 * error(shaken, sharp)
    noisy = noised(shaken)
    assert error(deshaken(noisy, 50 * size / 36, 36.0), sharp) < error(noisy, sharp)
