"""``python -m export widths``: how wide a character of each class is written, from EMNIST.

The runtime's width prior (``hwr_edge.widths.MAX_WIDTH``) says how many typical character
widths a character of each class may span, so that a touching pair read as one wide letter
is told from the letter itself. This command measures it on the EMNIST images the 47-class
models train on (``export.data.load_emnist47(..., "train")``): per class, a percentile of
the ink box's aspect (width over height), over the median aspect of all the images (the
typical character). ``--check`` compares the measurement with the shipped table.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from export.data import DataError, load_emnist47

PERCENTILE = 97  # of each class's widths: the widest 3% of a class are read as they are too
INK = 64  # a pixel brighter than this is ink


def aspects(x: np.ndarray) -> np.ndarray:
    """Width over height of the ink box of each N x H x W bright-on-black image (0 when
    empty)."""
    ink = x > INK
    cols, rows = ink.any(axis=1), ink.any(axis=2)
    width = cols.shape[1] - cols[:, ::-1].argmax(axis=1) - cols.argmax(axis=1)
    height = rows.shape[1] - rows[:, ::-1].argmax(axis=1) - rows.argmax(axis=1)
    return np.where(cols.any(axis=1), width / np.maximum(height, 1), 0.0)


def class_widths(x: np.ndarray, y: np.ndarray, labels: list[str], q: float = PERCENTILE) -> dict:
    """Per class present in ``y``: the ``q``-th percentile of its aspects over the median
    aspect of all the images, rounded to 2 decimals."""
    a = aspects(x)
    typical = float(np.median(a))
    return {
        label: round(float(np.percentile(a[y == c], q)) / typical, 2)
        for c, label in enumerate(labels)
        if (y == c).any()
    }


def measure(data_dir: Path) -> dict:
    """The width table of the EMNIST 47-class training images in ``data_dir``."""
    ds = load_emnist47(data_dir, "train")
    return class_widths(ds.x, ds.y, ds.labels)


def _run(args: argparse.Namespace) -> int:
    from hwr_edge.widths import MAX_WIDTH

    try:
        table = measure(args.data_dir)
    except (DataError, OSError) as exc:
        print(f"error: {exc}")
        return 2
    print("MAX_WIDTH = {")
    for label, width in table.items():
        print(f"    {label!r}: {width},")
    print("}")
    if args.check and table != MAX_WIDTH:
        keys = sorted(table.keys() | MAX_WIDTH.keys())
        changed = [k for k in keys if table.get(k) != MAX_WIDTH.get(k)]
        print(f"error: hwr_edge/widths.py differs from the data for {' '.join(changed)}")
        return 1
    return 0


def register(subparsers) -> None:
    """Add the ``widths`` subcommand."""
    p = subparsers.add_parser("widths", help="measure the runtime's per-class width prior")
    p.add_argument("--data-dir", type=Path, default=Path("../shared/data/emnist"))
    p.add_argument("--check", action="store_true", help="fail when hwr_edge/widths.py differs")
    p.set_defaults(func=_run)
