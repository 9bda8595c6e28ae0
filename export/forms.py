"""Forms: handwriting one character a cell in a comb's boxes (``python -m export forms``).

The benchmark's pages hold writing on paper; a form's fields are written one character a cell
in a row of boxes (or over a line with ticks between the cells), the cells wider apart than a
writer's letters, the boxes printed lighter than the pen, often with a label written before
them, and photographed at a slight tilt. Each page holds one to three fields under one of
``VARIANTS``; the report gives, per variant, the fields read exactly and the CER.
"""

from __future__ import annotations

import argparse
import time

import cv2
import numpy as np

from export import synth
from export.accuracy import edit_distance

CHAR_H = 32  # capital height in pixels on a 700 x 577 photo
PAPER, PEN = 235, 200  # the paper's grey, and how much darker a full stroke is
# variant -> (cell width in text heights, box darkness, tilt in degrees, ticks, label, empty
# cell, photo size)
VARIANTS = {
    "boxes": (1.5, 170, 0.0, False, False, False, "photo"),
    "tilted": (1.5, 170, 2.5, False, False, False, "photo"),
    "ticks": (1.5, 170, 0.0, True, False, False, "photo"),
    "label": (1.5, 170, 0.0, False, True, False, "photo"),
    "empty_cell": (1.5, 170, 0.0, False, False, True, "photo"),
    "faint_boxes": (1.5, 70, 0.0, False, False, False, "photo"),
    "tight_cells": (1.2, 170, 0.0, False, False, False, "photo"),
    "phone_12mp": (1.5, 170, 1.0, False, True, False, "phone"),
}
LABELS = ("DATE", "NAME", "TEL", "CODE", "ZIP")


def form_photo(
    fields: list[str],
    rng: np.random.Generator,
    glyphs="strokes",
    label: str = "",
    cell: float = 1.5,
    box_dark: int = 170,
    tilt: float = 0.0,
    ticks: bool = False,
    size: str = "photo",
) -> np.ndarray:
    """A photo (BGR) of a form: per row, ``fields`` written one character a cell (a space
    leaves its cell empty), ``CHAR_H`` high, in boxes ``cell`` text heights wide drawn
    ``box_dark`` darker than the paper (``ticks``: a line with ticks between the cells
    instead), ``label`` written before each; turned ``tilt`` degrees, noisy and slightly
    blurred, scaled to ``size`` (``synth.SIZES``). ``glyphs``: as ``synth.make_page``."""
    source = synth.StrokeGlyphs(rng) if glyphs == "strokes" else glyphs
    if isinstance(source, str):
        source = synth.GLYPH_SOURCES[source](rng)
    ink, lines = np.zeros((577, 700), np.float32), np.zeros((577, 700), np.float32)
    pitch = int(round(cell * CHAR_H))

    def write(char: str, cx: int, cy: int) -> None:
        coverage, _ = source.render(char, CHAR_H, 3.0, rng)
        h, w = coverage.shape
        patch = ink[cy - h // 2 : cy - h // 2 + h, cx - w // 2 : cx - w // 2 + w]
        np.maximum(patch, coverage[: patch.shape[0], : patch.shape[1]], out=patch)

    for row, text in enumerate(fields):
        top = 150 + 120 * row
        for k, char in enumerate(label):
            write(char, 75 + 30 * k, top + pitch // 2)
        left = 80 + 30 * len(label)
        right = left + pitch * len(text)
        if ticks:
            cv2.line(lines, (left, top + pitch), (right, top + pitch), 1.0, 2)
        else:
            cv2.rectangle(lines, (left, top), (right, top + pitch), 1.0, 2)
        for k in range(len(text) + 1):
            if ticks or 0 < k < len(text):
                end = top + int(0.7 * pitch) if ticks else top
                cv2.line(lines, (left + k * pitch, end), (left + k * pitch, top + pitch), 1.0, 2)
        for k, char in enumerate(text):
            if char != " ":
                jitter = rng.integers(-3, 4, 2)
                write(char, left + k * pitch + pitch // 2 + jitter[0], top + pitch // 2 + jitter[1])
    gray = PAPER - PEN * ink - box_dark * lines + rng.normal(0, 3, ink.shape)
    gray = np.clip(gray, 0, 255).astype(np.uint8)
    if tilt:
        turn = cv2.getRotationMatrix2D((350, 288), tilt, 1.0)
        gray = cv2.warpAffine(gray, turn, (700, 577), borderValue=PAPER)
    gray = cv2.GaussianBlur(gray, (0, 0), 0.8)
    if synth.SIZES[size] != (700, 577):
        gray = cv2.resize(gray, synth.SIZES[size], interpolation=cv2.INTER_CUBIC)
    return cv2.cvtColor(gray, cv2.COLOR_GRAY2BGR)


def random_fields(rng: np.random.Generator, alphabet: str, empty: bool) -> list[str]:
    """One to three fields of 4-8 characters: digits (dates, codes) or capitals (names);
    ``empty``: one cell inside each left empty."""
    fields = []
    for _ in range(int(rng.integers(1, 4))):
        chars = synth.DIGITS if rng.random() < 0.6 else alphabet
        text = "".join(rng.choice(list(chars), int(rng.integers(4, 9))))
        if empty:
            k = int(rng.integers(1, len(text) - 1))
            text = text[:k] + " " + text[k + 1 :]
        fields.append(text)
    return fields


def run(recognizer, variant: str, pages: int, glyphs, seed: int = 0) -> dict:
    """Fields read exactly, fields, errors and characters over ``pages`` pages of a variant."""
    cell, dark, tilt, ticks, labelled, empty, size = VARIANTS[variant]
    rng = np.random.default_rng(seed)
    exact = fields = errors = chars = 0
    for _ in range(pages):
        texts = random_fields(rng, synth.UPPER, empty)
        label = str(rng.choice(LABELS)) if labelled else ""
        photo = form_photo(texts, rng, glyphs, label, cell, dark, tilt, ticks, size)
        truth = [f"{label} {t}" if label else t for t in texts]
        truth = [" ".join(t.split()) for t in truth]  # an empty cell parts two words
        read = recognizer.recognize(photo).text.split("\n")
        read += [""] * (len(truth) - len(read))
        exact += sum(a == b for a, b in zip(read, truth, strict=False))
        fields += len(truth)
        errors += edit_distance("\n".join(read).strip("\n"), "\n".join(truth))
        chars += len("\n".join(truth))
    return {"exact": exact, "fields": fields, "errors": errors, "chars": chars}


def _run(args: argparse.Namespace) -> int:
    from hwr_edge import Recognizer

    unknown = [v for v in args.variants if v not in VARIANTS]
    if unknown:
        print(f"error: unknown variant {unknown[0]!r} (choose from {', '.join(VARIANTS)})")
        return 2
    recognizer = Recognizer(model=args.model, threads=1)
    glyphs = synth.DatasetGlyphs() if args.glyphs == "emnist" else args.glyphs
    print(f"| variant | pages | fields exact | errors | CER {args.glyphs} | s |")
    print("|---|---:|---:|---:|---:|---:|")
    for variant in args.variants:
        t0 = time.perf_counter()
        r = run(recognizer, variant, args.pages, glyphs, args.seed)
        cer = 100 * r["errors"] / r["chars"]
        row = [variant, args.pages, f"{r['exact']}/{r['fields']}", r["errors"], f"{cer:.1f}%"]
        print("| " + " | ".join(str(v) for v in [*row, f"{time.perf_counter() - t0:.0f}"]) + " |")
    return 0


def register(subparsers) -> None:
    """Add the ``forms`` subcommand."""
    p = subparsers.add_parser("forms", help="CER of fields written one character a cell")
    p.add_argument("--pages", type=int, default=16, help="pages per variant")
    p.add_argument("--glyphs", choices=["strokes", "hershey", "type", "emnist"], default="strokes")
    p.add_argument("--variants", nargs="+", default=list(VARIANTS), help=", ".join(VARIANTS))
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--model", default=None, help="model name or path (default: the default)")
    p.set_defaults(func=_run)
