"""Things that are not characters, drawn as crops for a "not a character" class.

A classifier that knows only characters reads "#" as H and a doodle as some letter with full
confidence. Training it on these shapes as one more class (``NOT_A_CHARACTER``) lets the
runtime reject them. Symbols that a hand writes like a character of the model are left out
on purpose: "+" (t), "/" and "|" (1), "(" and "{" (C, E), "<" and "^" (V, A), "!" (an I
with its dot), "o", plain circles and empty boxes (O, 0, D), plain lines, thin blobs (1),
loose spirals (e, 6, 9).

``negative_crops(n, seed, convention)`` draws ``n`` shapes at random sizes, pen widths, slants
and rotations on a black canvas and normalizes each with the runtime's ``normalize_crop``,
so they look exactly like crops cut from a photo.
"""

from __future__ import annotations

import cv2
import numpy as np

from hwr_edge.convention import InputConvention
from hwr_edge.normalize import normalize_crop

SYMBOLS = "#%&@$*~?="
CANVAS = 96


def _symbol(rng: np.random.Generator, img: np.ndarray, pen: int) -> None:
    font = int(rng.choice([cv2.FONT_HERSHEY_SIMPLEX, cv2.FONT_HERSHEY_PLAIN]))
    text = str(rng.choice(list(SYMBOLS)))
    scale = 2.2 if font == cv2.FONT_HERSHEY_SIMPLEX else 4.5
    (w, h), _ = cv2.getTextSize(text, font, scale, pen)
    org = (max(0, (CANVAS - w) // 2), min(CANVAS - 4, (CANVAS + h) // 2))
    cv2.putText(img, text, org, font, scale, 255, pen, cv2.LINE_AA)


def _scribble(rng: np.random.Generator, img: np.ndarray, pen: int) -> None:
    points = rng.uniform(12, CANVAS - 12, size=(int(rng.integers(9, 17)), 2))
    cv2.polylines(img, [points.astype(np.int32)], False, 255, pen, cv2.LINE_AA)


def _blob(rng: np.random.Generator, img: np.ndarray, pen: int) -> None:
    major = int(rng.integers(16, 40))
    axes = (major, int(major * rng.uniform(0.55, 1.0)))
    cv2.ellipse(img, (48, 48), axes, float(rng.uniform(0, 180)), 0, 360, 255, -1)


def _smiley(rng: np.random.Generator, img: np.ndarray, pen: int) -> None:
    cv2.circle(img, (48, 48), 38, 255, pen, cv2.LINE_AA)
    for x in (34, 62):
        cv2.circle(img, (x, 38), max(2, pen), 255, -1)
    cv2.ellipse(img, (48, 54), (18, 12), 0, 10, 170, 255, pen, cv2.LINE_AA)


def _star(rng: np.random.Generator, img: np.ndarray, pen: int) -> None:
    angles = np.deg2rad(np.arange(5) * 144 + rng.uniform(0, 72))
    points = np.stack([48 + 40 * np.sin(angles), 48 - 40 * np.cos(angles)], axis=1)
    cv2.polylines(img, [points.astype(np.int32)], True, 255, pen, cv2.LINE_AA)


def _hatch(rng: np.random.Generator, img: np.ndarray, pen: int) -> None:
    for x in range(12, CANVAS - 8, int(rng.integers(10, 18))):
        cv2.line(img, (x, 10), (x - 20, CANVAS - 10), 255, pen, cv2.LINE_AA)
    for y in range(16, CANVAS - 8, int(rng.integers(14, 24))):
        cv2.line(img, (8, y), (CANVAS - 8, y + 6), 255, pen, cv2.LINE_AA)


def _box_with_tick(rng: np.random.Generator, img: np.ndarray, pen: int) -> None:
    cv2.rectangle(img, (14, 14), (82, 82), 255, pen, cv2.LINE_AA)
    tick = np.array([[24, 50], [42, 70], [78, 20]], np.int32)
    cv2.polylines(img, [tick], False, 255, pen, cv2.LINE_AA)


def _arrow(rng: np.random.Generator, img: np.ndarray, pen: int) -> None:
    cv2.arrowedLine(img, (10, 48), (86, 48), 255, pen, cv2.LINE_AA, tipLength=0.4)


def _spiral(rng: np.random.Generator, img: np.ndarray, pen: int) -> None:
    t = np.linspace(0, rng.uniform(5, 7) * np.pi, 120)
    r = 4 + 36 * t / t[-1]
    points = np.stack([48 + r * np.cos(t), 48 + r * np.sin(t)], axis=1)
    cv2.polylines(img, [points.astype(np.int32)], False, 255, pen, cv2.LINE_AA)


DRAWERS = (_symbol, _symbol, _symbol, _scribble, _blob, _smiley, _star, _hatch, _box_with_tick)
DRAWERS += (_arrow, _spiral)


def negative_crops(n: int, seed: int, convention: InputConvention) -> np.ndarray:
    """``n`` uint8 crops (N x size x size, bright on black) of shapes that are not characters."""
    rng = np.random.default_rng([seed, 7919])
    size = convention.size
    out = np.zeros((n, size, size), np.uint8)
    for i in range(n):
        img = np.zeros((CANVAS, CANVAS), np.uint8)
        pen = int(rng.integers(2, 9))
        DRAWERS[int(rng.integers(len(DRAWERS)))](rng, img, pen)
        angle, shear = rng.uniform(-20, 20), rng.uniform(-0.25, 0.25)
        m = cv2.getRotationMatrix2D((48, 48), angle, 1.0)
        m[0, 1] += shear
        img = cv2.warpAffine(img, m, (CANVAS, CANVAS), flags=cv2.INTER_LINEAR)
        out[i] = normalize_crop(img, convention)
    return out
