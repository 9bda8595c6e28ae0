"""Texture or writing: marks that line up in no direction are no page (``texture.py``)."""

import dataclasses

import cv2
import numpy as np
import pytest

from export import synth
from export.accuracy import edit_distance
from hwr_edge.classifier import load_model
from hwr_edge.errors import PageError
from hwr_edge.recognizer import Recognizer
from hwr_edge.texture import MIN_MARKS, is_texture


@pytest.fixture(scope="module")
def classifier():
    return load_model(threads=1)


def boxes_at(centres, size=8.0):
    """Boxes ``size`` pixels square centred on ``centres`` (n x 2)."""
    centres = np.asarray(centres, np.float64)
    return np.column_stack([centres - size / 2, np.full((len(centres), 2), size)])


def test_marks_in_every_direction_are_texture():
    rng = np.random.default_rng(0)
    assert is_texture(boxes_at(rng.uniform((0, 0), (640, 480), (600, 2))))
    assert is_texture(boxes_at(rng.uniform((0, 0), (4032, 3024), (3000, 2)), size=20))
    # too few marks to tell: never texture
    assert not is_texture(boxes_at(rng.uniform((0, 0), (640, 480), (MIN_MARKS - 1, 2))))


@pytest.mark.parametrize("degrees", [0, 30, 90])
def test_lines_of_writing_and_grids_of_letters_are_not_texture(degrees):
    rng = np.random.default_rng(1)
    turn = np.deg2rad(degrees)
    rotation = np.array([[np.cos(turn), -np.sin(turn)], [np.sin(turn), np.cos(turn)]])
    # 20 lines of 30 letters, 12 pixels apart along a line, lines 30 apart, jittered
    x, y = np.meshgrid(np.arange(30) * 12.0, np.arange(20) * 30.0)
    lines = np.column_stack([x.ravel(), y.ravel()]) + rng.normal(0, 2, (600, 2))
    assert not is_texture(boxes_at(lines @ rotation.T))
    # a puzzle's 20 x 20 letters, as far apart down as across: rows and columns
    x, y = np.meshgrid(np.arange(20) * 20.0, np.arange(20) * 20.0)
    grid = np.column_stack([x.ravel(), y.ravel()]) + rng.normal(0, 1.5, (400, 2))
    assert not is_texture(boxes_at(grid @ rotation.T))


def noise_frame(sigma: float, seed: int = 0) -> np.ndarray:
    """A 640 x 480 webcam frame of Gaussian noise blurred by ``sigma`` pixels (a carpet)."""
    noise = np.random.default_rng(seed).normal(128, 60, (480, 640)).astype(np.float32)
    noise = cv2.GaussianBlur(noise, (0, 0), sigma)
    return cv2.cvtColor(np.clip(noise, 0, 255).astype(np.uint8), cv2.COLOR_GRAY2BGR)


@pytest.mark.parametrize("sigma", [1.0, 1.5])
def test_a_frame_of_texture_is_no_page(classifier, sigma, monkeypatch):
    # such a frame, read glyph by glyph, took 10-20 s and gave 700-3300 characters of junk;
    # being no dark board (no light strokes on a dark ground), it is not read inverted either
    from hwr_edge import recognizer

    inverted = []
    monkeypatch.setattr(recognizer, "_inverted", lambda photo: inverted.append(photo))
    with pytest.raises(PageError, match="<array>: .* marks of ink that lie along no line"):
        Recognizer(classifier).recognize(noise_frame(sigma))
    assert inverted == []


def test_a_dense_page_of_small_writing_is_read(classifier):
    # 485 characters in 34 lines: more glyphs than MIN_MARKS, so their order is looked at
    cond = dataclasses.replace(
        synth.CONDITIONS["clean"], prose=True, lines=(40, 41), line_pitch=(1.4, 1.5)
    )
    cond = dataclasses.replace(cond, char_h=(12, 14))
    page = synth.make_page(np.random.default_rng(0), cond, "strokes")
    reading = Recognizer(classifier).recognize(page.image)
    assert len(reading.chars) >= MIN_MARKS
    assert edit_distance(reading.text, page.text) < 0.25 * len(page.text)
