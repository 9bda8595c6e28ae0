"""Footed 1s and slashed 0s drawn onto training digits (export/styles.py)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from export.styles import digit_styles, footed_one, slashed_zero


def _one(lean: int = 0, flag: bool = False) -> np.ndarray:
    """A 28x28 bright-on-black 1: a stroke from (14 + lean, 4) down to (14, 23)."""
    img = np.zeros((28, 28), np.uint8)
    cv2.line(img, (14 + lean, 4), (14, 23), 255, 3, cv2.LINE_AA)
    if flag:
        cv2.line(img, (14 + lean, 4), (9 + lean, 9), 255, 3, cv2.LINE_AA)
    return img


def _zero(width: int = 7) -> np.ndarray:
    img = np.zeros((28, 28), np.uint8)
    cv2.ellipse(img, (14, 14), (width, 10), 0, 0, 360, 255, 3, cv2.LINE_AA)
    return img


def _ink_span(row: np.ndarray) -> int:
    xs = np.flatnonzero(row >= 100)
    return 0 if xs.size == 0 else int(xs.max() - xs.min() + 1)


def test_footed_one_gets_a_foot_and_a_flag():
    one = _one()
    styled = footed_one(one, np.random.default_rng(0))
    assert styled is not None
    bottom = int(np.nonzero(one >= 100)[0].max())
    assert _ink_span(styled[bottom - 1]) >= 2.5 * _ink_span(one[bottom - 1])
    top_rows = slice(4, 10)
    left_of_stem = styled[top_rows, :11] >= 100
    assert left_of_stem.any() and not (one[top_rows, :11] >= 100).any()
    assert (styled >= one).all()  # strokes are added, never removed


def test_a_flagged_one_keeps_its_single_flag():
    one = _one(flag=True)
    styled = footed_one(one, np.random.default_rng(1))
    assert np.array_equal(styled[:12], one[:12])


def test_a_one_gets_a_flag_or_a_foot_alone_when_asked():
    one = _one()
    bottom = int(np.nonzero(one >= 100)[0].max())
    flagged = footed_one(one, np.random.default_rng(0), foot=False)
    footed = footed_one(one, np.random.default_rng(0), flag=False)
    assert np.array_equal(flagged[bottom - 3 :], one[bottom - 3 :])  # no foot
    assert (flagged[4:10, :11] >= 100).any()  # the flag
    assert np.array_equal(footed[:12], one[:12])  # no flag
    assert _ink_span(footed[bottom - 1]) >= 2.5 * _ink_span(one[bottom - 1])


def test_digit_styles_draw_all_three_kinds_of_1():
    one = _one()
    bottom = int(np.nonzero(one >= 100)[0].max())
    crops, _ = digit_styles(np.stack([one, _zero()]), np.array([1, 0]), ["0", "1"], 60, seed=0)
    ones = crops[:30]
    footed = [_ink_span(c[bottom - 1]) >= 2.5 * _ink_span(one[bottom - 1]) for c in ones]
    flagged = [(c[4:10, :11] >= 100).any() for c in ones]
    kinds = {(a, b) for a, b in zip(footed, flagged, strict=True)}
    assert kinds == {(True, True), (True, False), (False, True)}


def test_a_leaning_one_gets_no_foot():
    assert footed_one(_one(lean=12), np.random.default_rng(0)) is None


def test_slashed_zero_crosses_the_oval():
    zero = _zero()
    styled = slashed_zero(zero, np.random.default_rng(0))
    assert zero[14, 14] < 100 <= styled[14, 14]
    assert (styled >= zero).all()
    assert slashed_zero(_zero(width=3), np.random.default_rng(0)) is None


def test_digit_styles_draws_on_the_digits_that_take_a_stroke():
    labels = ["0", "1", "2"]
    x = np.stack([_zero(), _zero(width=3), _one(), _one(lean=12), _one(flag=True)])
    y = np.array([0, 0, 1, 1, 1])
    crops, classes = digit_styles(x, y, labels, 7, seed=0)
    assert crops.shape == (7, 28, 28) and crops.dtype == np.uint8
    assert classes.tolist() == [1, 1, 1, 1, 0, 0, 0]
    for crop in crops[4:]:
        assert crop[14, 14] >= 100  # slashed: only the round 0 can be, and it is
    for crop in crops[:4]:
        assert not np.array_equal(crop, _one(lean=12))  # the leaning 1 is never used
    with pytest.raises(ValueError, match="0"):
        digit_styles(x[[1, 2]], y[[1, 2]], labels, 2, seed=0)
