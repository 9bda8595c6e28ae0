"""Things that are not characters, drawn as crops for a "not a character" class.

A classifier that knows only characters reads "#" as H and a doodle as some letter with full
confidence. Training it on these shapes as one more class (``NOT_A_CHARACTER``) lets the
runtime reject them. Symbols that a hand writes like a character of the model are left out
on purpose: "+" (t), "/" and "|" (1), "(" and "{" (C, E), "<" and "^" (V, A), "!" (an I
with its dot), "o", plain circles and empty boxes (O, 0, D), plain lines, thin blobs (1),
loose spirals (e, 6, 9).

``negative_crops(n, seed, convention)`` draws ``n`` shapes at random sizes, pen widths, slants
and rotations on a black canvas and normalizes each with the runtime's ``normalize_crop``,
so they look exactly like crops cut from a photo. ``touching_runs`` makes crops of two or
three training characters whose ink touches, for a "touching characters" class of their own:
what the segmenter hands over when it cannot part touching letters, so that the runtime
splits such a glyph rather than read it as one confident M.
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


def _face(rng: np.random.Generator, img: np.ndarray, pen: int) -> None:
    """A face: a smile, a frown or a flat mouth, with eyes or (drawn quickly) without."""
    cv2.circle(img, (48, 48), 38, 255, pen, cv2.LINE_AA)
    if rng.random() < 0.7:
        for x in (34, 62):
            cv2.circle(img, (x, 38), max(2, pen), 255, -1)
    mouth = int(rng.integers(3))
    if mouth == 0:
        cv2.ellipse(img, (48, 54), (18, 12), 0, 10, 170, 255, pen, cv2.LINE_AA)
    elif mouth == 1:
        cv2.ellipse(img, (48, 72), (18, 12), 0, 190, 350, 255, pen, cv2.LINE_AA)
    else:
        cv2.line(img, (32, 64), (64, 64), 255, pen, cv2.LINE_AA)


def _heart(rng: np.random.Generator, img: np.ndarray, pen: int) -> None:
    t = np.linspace(0, 2 * np.pi, 80)
    x = 16 * np.sin(t) ** 3
    y = 13 * np.cos(t) - 5 * np.cos(2 * t) - 2 * np.cos(3 * t) - np.cos(4 * t)
    points = np.stack([48 + 2.3 * x, 46 - 2.3 * y], axis=1)
    filled = rng.random() < 0.2
    cv2.polylines(img, [points.astype(np.int32)], True, 255, pen, cv2.LINE_AA)
    if filled:
        cv2.fillPoly(img, [points.astype(np.int32)], 255, cv2.LINE_AA)


def _bolt(rng: np.random.Generator, img: np.ndarray, pen: int) -> None:
    """A lightning bolt, as an outline or a zigzag line."""
    zigzag = np.array([[58, 6], [30, 52], [60, 46], [38, 90]], np.int32)
    if rng.random() < 0.5:
        cv2.polylines(img, [zigzag], False, 255, pen, cv2.LINE_AA)
    else:
        outline = np.array([[56, 6], [26, 54], [46, 52], [34, 90], [70, 40], [50, 42], [70, 6]])
        cv2.polylines(img, [outline.astype(np.int32)], True, 255, pen, cv2.LINE_AA)


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


DRAWERS = (_symbol, _symbol, _symbol, _scribble, _blob, _face, _star, _hatch, _box_with_tick)
DRAWERS += (_arrow, _spiral, _heart, _bolt)


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


# Pairs that a hand writes as one character of the 47 classes: two humps are an m, two V's a W.
LOOK_LIKE_ONE = {"rn", "nn", "rr", "VV", "UU", "VU", "UV", "nr"}
BARS = set("1IL")  # a bar beside a letter is too often that letter's own stroke (1V1 -> M)
PAIR_HEIGHT = 64  # working height of a character when a run is composed


def touching_runs(
    x: np.ndarray, y: np.ndarray, labels: list[str], n: int, seed: int, convention: InputConvention
) -> np.ndarray:
    """``n`` crops of two or three training characters (``x``: upright bright-on-black
    images, ``y``: their classes) written so that their ink touches, normalized like a photo
    crop: what a segmenter hands over when it cannot part touching letters. Trained as a class
    of their own, they teach the model that "AR" is no M, so the runtime splits such a glyph.
    Bars and pairs that look like one character (``LOOK_LIKE_ONE``) are left out."""
    rng = np.random.default_rng([seed, 104729])
    usable = np.flatnonzero([labels[c] not in BARS for c in y.tolist()])
    size = convention.size
    out = np.zeros((n, size, size), np.uint8)
    made = 0
    while made < n:
        picks = rng.choice(usable, int(rng.choice([2, 2, 3])))
        text = "".join(labels[c] for c in y[picks].tolist())
        if any(text[i : i + 2] in LOOK_LIKE_ONE for i in range(len(text) - 1)):
            continue
        run = _touching_run([x[i] for i in picks], rng)
        if run is not None:
            out[made] = normalize_crop(run, convention)
            made += 1
    return out


def _touching_run(images: list[np.ndarray], rng: np.random.Generator) -> np.ndarray | None:
    """The characters side by side, each moved left until its ink touches the run's, then
    0-3 px further; sizes and baselines vary a little. None when a character is empty."""
    glyphs = []
    for img in images:
        ys, xs = np.nonzero(img > 64)
        if len(ys) == 0:
            return None
        g = img[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]
        h = int(PAIR_HEIGHT * rng.uniform(0.85, 1.15))
        w = max(1, round(g.shape[1] * h / g.shape[0]))
        glyphs.append(cv2.resize(g, (w, h), interpolation=cv2.INTER_LINEAR))
    height = max(g.shape[0] for g in glyphs) + 8
    canvas = np.zeros((height, sum(g.shape[1] for g in glyphs) + 8), np.uint8)
    right = 8
    for g in glyphs:
        top = int(rng.integers(0, height - g.shape[0] + 1))
        placed = _place_touching(canvas, g, top, right, int(rng.integers(0, 4)))
        right = placed + g.shape[1]
    cols = np.flatnonzero(canvas.any(axis=0))
    return canvas[:, : cols[-1] + 1]


def _place_touching(canvas: np.ndarray, glyph: np.ndarray, top: int, right: int, extra: int) -> int:
    """Draw ``glyph`` (max blend) at row ``top`` at the leftmost column, from ``right``
    leftwards, where its ink does not yet touch the canvas's, moved ``extra`` px further
    left; returns that column."""
    h, w = glyph.shape
    ink = glyph > 64
    near = cv2.dilate((canvas > 64).astype(np.uint8), np.ones((3, 3), np.uint8)) > 0
    left = right
    while left > 0 and not (near[top : top + h, left - 1 : left - 1 + w] & ink).any():
        left -= 1
    left = max(0, left - 1 - extra)
    region = canvas[top : top + h, left : left + w]
    np.maximum(region, glyph, out=region)
    return left
