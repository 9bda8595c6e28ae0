"""How well a model's classes that are no character work: ``python -m export rejection``.

For each model it prints the share of crops for which "not a character" and "touching
characters" together are more probable than any character (the runtime rejects or splits
those):

- ``drawn``: shapes of the training generator's kinds, drawn with another seed
  (``export.negatives.negative_crops``);
- ``icons``: kinds the generator does not draw (``ICONS``: a sun, a house, an envelope, a
  cloud, a flower, a musical note, a circled X), each at three pen widths: how far the
  rejection generalizes;
- ``runs``: two or three touching letters of the held-out EMNIST set;
- ``characters``: real held-out EMNIST characters, which should not be rejected.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import cv2
import numpy as np

SIDE = 140  # the icons' canvas
PENS = (5, 9, 14)


def _sun(img: np.ndarray, pen: int) -> None:
    cv2.circle(img, (70, 70), 25, 255, pen, cv2.LINE_AA)
    for a in np.arange(8) * np.pi / 4:
        inner = (int(70 + 35 * np.cos(a)), int(70 + 35 * np.sin(a)))
        outer = (int(70 + 55 * np.cos(a)), int(70 + 55 * np.sin(a)))
        cv2.line(img, inner, outer, 255, pen, cv2.LINE_AA)


def _house(img: np.ndarray, pen: int) -> None:
    outline = np.int32([[25, 125], [25, 60], [70, 20], [115, 60], [115, 125]])
    cv2.polylines(img, [outline], True, 255, pen, cv2.LINE_AA)


def _envelope(img: np.ndarray, pen: int) -> None:
    cv2.rectangle(img, (15, 35), (125, 105), 255, pen)
    cv2.polylines(img, [np.int32([[15, 35], [70, 75], [125, 35]])], False, 255, pen, cv2.LINE_AA)


def _cloud(img: np.ndarray, pen: int) -> None:
    for cx, cy, r in ((45, 80, 25), (75, 65, 30), (100, 82, 22)):
        cv2.ellipse(img, (cx, cy), (r, r), 0, 150, 390, 255, pen, cv2.LINE_AA)
    cv2.line(img, (22, 92), (120, 98), 255, pen, cv2.LINE_AA)


def _flower(img: np.ndarray, pen: int) -> None:
    cv2.circle(img, (70, 60), 10, 255, pen, cv2.LINE_AA)
    for a in np.arange(6) * np.pi / 3:
        centre = (int(70 + 25 * np.cos(a)), int(60 + 25 * np.sin(a)))
        cv2.ellipse(img, centre, (14, 8), float(np.degrees(a)), 0, 360, 255, pen, cv2.LINE_AA)
    cv2.line(img, (70, 95), (70, 135), 255, pen, cv2.LINE_AA)


def _note(img: np.ndarray, pen: int) -> None:
    cv2.ellipse(img, (50, 110), (18, 12), -20, 0, 360, 255, -1, cv2.LINE_AA)
    cv2.line(img, (66, 106), (66, 20), 255, pen, cv2.LINE_AA)
    cv2.line(img, (66, 20), (100, 40), 255, pen, cv2.LINE_AA)


def _circled_x(img: np.ndarray, pen: int) -> None:
    cv2.circle(img, (70, 70), 50, 255, pen, cv2.LINE_AA)
    cv2.line(img, (35, 35), (105, 105), 255, pen, cv2.LINE_AA)
    cv2.line(img, (105, 35), (35, 105), 255, pen, cv2.LINE_AA)


ICONS = {
    "sun": _sun,
    "house": _house,
    "envelope": _envelope,
    "cloud": _cloud,
    "flower": _flower,
    "note": _note,
    "circled_x": _circled_x,
}


def icon_images() -> tuple[list[str], np.ndarray]:
    """Names (``kind/pen``) and bright-on-black drawings of ``ICONS`` at each of ``PENS``."""
    names, images = [], []
    for name, draw in ICONS.items():
        for pen in PENS:
            img = np.zeros((SIDE, SIDE), np.uint8)
            draw(img, pen)
            names.append(f"{name}/{pen}")
            images.append(img)
    return names, np.stack(images)


def rejected(clf, crops: np.ndarray) -> np.ndarray:
    """Per model input: whether the runtime rejects it (``recognizer.split_unknown``: the
    classes that are no character are together more probable than any character)."""
    from hwr_edge.recognizer import split_unknown

    return split_unknown(clf.predict_proba(crops), clf.labels)[1]


def measure(model: str, data_dir: Path | None, n: int = 600, seed: int = 123) -> dict:
    """Rejection rates of ``model`` (see the module docstring); without ``data_dir`` (the
    EMNIST folder) only ``drawn`` and ``icons``."""
    from export.negatives import negative_crops, touching_runs
    from hwr_edge import load_model
    from hwr_edge.normalize import normalize_crop

    clf = load_model(model)
    names, icons = icon_images()
    icon_crops = np.stack([normalize_crop(img, clf.convention) for img in icons])
    icon_rejected = rejected(clf, icon_crops)
    out = {
        "model": model,
        "drawn": float(rejected(clf, negative_crops(n, seed, clf.convention)).mean()),
        "icons": float(icon_rejected.mean()),
        "icons_read_as_characters": [
            f"{name}:{clf.predict(crop[None])[0][0]}"
            for name, crop, no in zip(names, icon_crops, icon_rejected, strict=True)
            if not no
        ],
    }
    if data_dir is not None:
        from export.data import load

        test = load("emnist47", data_dir, "test")
        runs = touching_runs(test.x, test.y, test.labels, n, seed, clf.convention)
        real = np.stack([normalize_crop(x, clf.convention) for x in test.x])
        out["runs"] = float(rejected(clf, runs).mean())
        out["characters"] = float(rejected(clf, real).mean())
    return out


def run(args: argparse.Namespace) -> int:
    """``python -m export rejection``: one line per model; one-line errors for bad input."""
    from export.data import DataError
    from hwr_edge.errors import HwrError

    data_dir = args.data_dir if args.data_dir and Path(args.data_dir).is_dir() else None
    try:
        for model in args.model:
            r = measure(model, data_dir, args.n)
            rates = "  ".join(
                f"{k} {100 * r[k]:.1f}%" for k in ("drawn", "icons", "runs", "characters") if k in r
            )
            print(f"{model}: {rates}")
            print(f"  icons read as characters: {' '.join(r['icons_read_as_characters']) or '-'}")
    except (HwrError, DataError, OSError) as exc:
        print(f"error: {str(exc).splitlines()[0]}", file=sys.stderr)
        return 2
    return 0


def register(subparsers) -> None:
    """Add the ``rejection`` subcommand."""
    p = subparsers.add_parser("rejection", help="what a model's non-character classes reject")
    p.add_argument("--model", nargs="+", default=["edgenet-emnist47-int8"], help="names or paths")
    p.add_argument("--data-dir", type=Path, default=Path("../shared/data/emnist"))
    p.add_argument("--n", type=int, default=600, help="drawn shapes and touching runs each")
    p.set_defaults(func=run)
