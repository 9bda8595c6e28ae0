"""Ways of writing digits that EMNIST rarely holds, drawn onto its own digits.

Many people write a 1 with a flag and a foot (the printed shape) and a 0 with a slash
through it (to keep it apart from O). EMNIST's 1s are nearly all bare strokes and its 0s
plain ovals, so a model trained on it reads the footed 1 as 2 and the slashed 0 as D. These
functions add the missing strokes to training digits with the digit's own stroke width and
brightness; ``digit_styles`` makes a set of them for ``python -m export train --digit-styles``.
"""

from __future__ import annotations

import cv2
import numpy as np

from hwr_edge.normalize import stroke_width

INK = 100  # a pixel at least this bright is ink (crops are bright ink on black)
MAX_LEAN = 0.35  # a 1 leaning more (run over rise) gets no foot: it would read as an L or Z
MIN_ROUND = 0.45  # a 0 narrower than this (width over height) gets no slash: it would fill


def _stroke(img: np.ndarray) -> tuple[np.ndarray, np.ndarray, int, int]:
    """Ink rows and columns, the stroke's width in pixels and its brightness."""
    mask = img >= INK
    ys, xs = np.nonzero(mask)
    width = max(1, int(round(stroke_width(mask))))
    return ys, xs, width, int(np.percentile(img[mask], 90))


def _line(img: np.ndarray, p: tuple, q: tuple, width: int, value: int) -> None:
    """A stroke from ``p`` to ``q`` (float x, y), antialiased, brightening only."""
    layer = np.zeros_like(img)
    pts = np.round(np.array([p, q]) * 8).astype(np.int32)
    cv2.line(layer, tuple(pts[0]), tuple(pts[1]), value, width, cv2.LINE_AA, shift=3)
    np.maximum(img, layer, out=img)


def footed_one(
    img: np.ndarray, rng: np.random.Generator, foot: bool = True, flag: bool = True
) -> np.ndarray | None:
    """A 1 with a foot across its base and, when it has none, a flag falling to the left
    from its top (either alone when ``flag`` or ``foot`` is False); None for a 1 that leans
    too far to take one."""
    out = img.copy()
    ys, xs, width, value = _stroke(img)
    if ys.size == 0:
        return None
    top, bottom = int(ys.min()), int(ys.max())
    height = bottom - top + 1
    base_x = float(xs[ys >= bottom - 1].mean())
    top_x = float(xs[ys <= top + 1].mean())
    if abs(top_x - base_x) > MAX_LEAN * height:
        return None
    half = height * rng.uniform(0.18, 0.32)
    tilt = rng.uniform(-0.04, 0.04) * height
    foot_y = bottom - width / 2 + rng.uniform(-0.5, 0.5)
    if foot:
        _line(out, (base_x - half, foot_y - tilt), (base_x + half, foot_y + tilt), width, value)
    upper = xs[ys <= top + height // 4]
    if flag and upper.max() - upper.min() < 2 * width:
        drop = height * rng.uniform(0.2, 0.35)
        reach = height * rng.uniform(0.12, 0.25)
        _line(out, (top_x, top + width / 2), (top_x - reach, top + drop), width, value)
    return out


def slashed_zero(img: np.ndarray, rng: np.random.Generator) -> np.ndarray | None:
    """A 0 with a slash from its upper right to its lower left, inside or through the oval;
    None for a 0 too narrow to show one."""
    out = img.copy()
    ys, xs, width, value = _stroke(img)
    if ys.size == 0:
        return None
    x0, x1, y0, y1 = xs.min(), xs.max(), ys.min(), ys.max()
    cx, cy, w, h = (x0 + x1) / 2, (y0 + y1) / 2, x1 - x0, y1 - y0
    if w < MIN_ROUND * h:
        return None
    reach = rng.uniform(0.25, 0.55)  # how far from the centre the slash goes, as box fraction
    p = (cx + reach * w * 0.8, cy - reach * h)
    q = (cx - reach * w * 0.8, cy + reach * h)
    _line(out, p, q, width, value)
    return out


def _styled_one(img: np.ndarray, rng: np.random.Generator) -> np.ndarray | None:
    """``footed_one`` with a flag and a foot, a flag only (as most of Europe writes a 1) or a
    foot only, a third each."""
    kind = int(rng.integers(3))
    return footed_one(img, rng, foot=kind != 1, flag=kind != 2)


def digit_styles(
    x: np.ndarray, y: np.ndarray, labels: list[str], n: int, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """``n`` crops (half 1s with a flag, a foot or both, a third each; half slashed 0s) drawn
    on random 1s and 0s of ``x`` that can take the stroke, and their classes in ``labels``
    (uint8 crops, int64 classes)."""
    rng = np.random.default_rng([seed, 7])
    crops = []
    for char, draw, count in (("1", _styled_one, n - n // 2), ("0", slashed_zero, n // 2)):
        made = []
        while len(made) < count:
            drawn = (
                draw(x[i], rng) for i in rng.permutation(np.flatnonzero(y == labels.index(char)))
            )
            more = [crop for crop in drawn if crop is not None][: count - len(made)]
            if not more:
                raise ValueError(f"no training {char} can take the stroke")
            made += more
        crops += made
    classes = np.repeat([labels.index("1"), labels.index("0")], [n - n // 2, n // 2])
    return np.stack(crops).astype(np.uint8), classes.astype(np.int64)
