"""Synthetic handwriting photos with ground truth, for tests, examples and the benchmark.

Text is rendered with jittered stroke fonts, Hershey's (``hershey``) or the project's block
letters (``strokes``): random slant, rotation, scale, per-point noise, a smooth displacement
field and pen width. Or with printed type (``type``: ``cv2.putText``, which OpenCV 5 draws with
TrueType faces), or, at test time only, with real glyphs from ../shared/data (EMNIST held-out
/ MNIST test; never written into the repository). The text is laid out on paper and
photographed: lighting gradients, cast shadows, ruled lines, squared paper, ink colours,
markers, pencil, a whiteboard (glare, wiped-out ghosts), perspective on a table, webcam colour
cast and vignetting, 12 MP sizes, noise, blur and JPEG artefacts. Each condition is a named
recipe in ``CONDITIONS``.

``python -m export synth --out DIR --pages N --seed S`` writes ``page_NNNN.jpg`` and
``truth.jsonl`` (one ``{"file", "condition", "text", "boxes"}`` object per page).
"""

from __future__ import annotations

import argparse
import functools
import json
import struct
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from export import strokefont

DATA_DIR = Path(__file__).resolve().parents[1].parent / "shared" / "data"
DIGITS = "0123456789"
UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
LOWER47 = "abdefghnqrt"  # the lower-case letters that EMNIST Balanced keeps apart
DESCENDERS = set("gq")
X_HEIGHT = 0.62  # DatasetGlyphs(cased=True): a lower-case letter's body, in capital heights
LOWER_SIZE = {**dict.fromkeys("acemnorsuvwxz", X_HEIGHT), "i": 0.8, "t": 0.85}
LOWER_DESCENDERS = dict.fromkeys("gjpqy", 0.95)  # ... and these reach a third below the line
BAR_RATIO = 0.3  # ink spread across its main axis under this part of that along it: a bar
FONTS = (cv2.FONT_HERSHEY_SIMPLEX, cv2.FONT_HERSHEY_DUPLEX)  # the plainest; no script/italic
HERSHEY_FONT = "futural"  # Roman simplex: one stroke a line (duplex's two, noised apart, split)
WORDS = (
    "CAT DOG MAP RED SUN BOX KEY FISH BIRD TREE HOUSE WATER PAPER TABLE GREEN BLUE NORTH "
    "SOUTH EAST WEST HELP STOP OPEN DATA CODE EDGE NOTE TEXT BREAD MILK EGGS JUMP QUIZ "
    "VIEW WAVE ZERO YARD FROG LAMP KING"
).split()
WORDS_LOWER = "bad bed hand bread red tea gear date near heart herd head bat hat".split()
WORDS_PROSE = (  # notes as people write them: every lower-case letter
    "the quick brown fox jumps over lazy dog buy milk eggs call mom pick up kids from school "
    "meeting room next week box quiz jam sky your with vote fix zoo wax keys bring paper lunch "
    "today soon help park city yes"
).split()


@dataclass(frozen=True)
class Condition:
    """A named photographic recipe; every field is a toggle or a range the page samples from."""

    size: str = "photo"  # "photo" (~700x577), "webcam" (640x480), "phone" (4032x3024)
    char_h: tuple[int, int] = (32, 44)  # capital height in output pixels
    gradient: bool = False
    shadow: bool = False
    ruled: bool = False
    grid: bool = False  # squared (graph) paper, its lines crossing the letters both ways
    ink: str = "dark"  # "dark", "color" (blue/purple ballpoint), "marker" or "pencil"
    whiteboard: bool = False  # a marker on a glossy board: glare streaks, erased ghosts, frame
    table: bool = False  # paper in perspective on a table, paper edge in view
    rotate: float = 0.0  # max absolute rotation in degrees
    touching: float = 0.0  # probability that a letter touches its right neighbour
    frame: bool = False  # text runs off / touches the image frame
    webcam: bool = False  # colour cast, vignetting, heavy blur/noise/JPEG
    lower: bool = False  # include the lower-case letters of the 47-class set
    lines: tuple[int, int] = (2, 5)  # lines of random text: at least, and fewer than
    line_pitch: tuple[float, float] = (1.7, 2.2)  # baseline to baseline, in capital heights
    pen_lift: float = 0.0  # stroke font: strokes stop this many capital heights short (pen lifts)
    prose: bool = False  # lower-case words, some capitalized, a few numbers (every letter)


CONDITIONS: dict[str, Condition] = {
    "clean": Condition(),
    "gradient": Condition(gradient=True),
    "shadow": Condition(shadow=True),
    "ruled": Condition(ruled=True),
    "color_ink": Condition(ink="color"),
    "marker": Condition(ink="marker", char_h=(40, 56)),
    "table": Condition(table=True, rotate=4.0),
    "rotated": Condition(rotate=5.0),
    "touching": Condition(touching=0.5),
    "frame": Condition(frame=True),
    "webcam": Condition(size="webcam", webcam=True, gradient=True, char_h=(26, 36)),
    "phone_12mp": Condition(size="phone", char_h=(70, 110), gradient=True, shadow=True),
    "lower_case": Condition(lower=True),
    "grid": Condition(grid=True),
    "pencil": Condition(ink="pencil"),
    "whiteboard": Condition(
        whiteboard=True, ink="marker", char_h=(40, 60), gradient=True, table=True, rotate=4.0
    ),
}

SIZES = {"photo": (700, 577), "webcam": (640, 480), "phone": (4032, 3024)}


@dataclass
class SynthPage:
    """One generated photo (BGR uint8) and its ground truth."""

    image: np.ndarray
    lines: list[str]
    condition: str
    boxes: list[list[int]] = field(default_factory=list)  # per character, x y w h

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


def _uniform(rng: np.random.Generator, lo_hi: tuple[float, float]) -> float:
    return float(rng.uniform(*lo_hi))


@functools.cache
def _hershey_font():
    """The Hershey-Fonts package's ``HERSHEY_FONT``, loaded once (15 ms)."""
    from HersheyFonts import HersheyFonts

    font = HersheyFonts()
    font.load_default_font(HERSHEY_FONT)
    return font


class HersheyGlyphs:
    """Allen Hershey's Roman simplex stroke font (from the Hershey-Fonts package) drawn stroke
    by stroke with the page's pen width, per-point noise, slant and a smooth displacement
    field: coverage images in [0, 1], one per call."""

    def __init__(self, rng: np.random.Generator):
        self.font = _hershey_font()
        self.slant = float(rng.uniform(-0.25, 0.25))

    def render(self, char: str, height: int, pen: float, rng: np.random.Generator) -> tuple:
        """Return ``(coverage, baseline_offset)``: the glyph image and how far below the
        baseline its bottom edge lies (descenders)."""
        glyph = next(iter(self.font.glyphs_for_text(char)))
        unit = height * rng.uniform(0.92, 1.08) / (glyph.base_line - glyph.cap_line)
        thick = max(1, int(round(pen)))
        pad = thick + height // 2
        (left, bottom), (right, top) = glyph.char_box
        canvas = np.zeros(
            (int((bottom - top) * unit) + 2 * pad, int((right - left) * unit) + 2 * pad), np.uint8
        )
        lines = [
            (np.array(stroke, np.float64) - [left, top]) * unit + pad for stroke in glyph.strokes
        ]
        baseline_row = pad + (glyph.base_line - top) * unit
        return _pen_glyph(canvas, lines, thick, height, self.slant, baseline_row, rng)


class TypeGlyphs:
    """Printed type: jittered ``cv2.putText`` glyphs of ``FONT_HERSHEY_SIMPLEX`` / ``DUPLEX``,
    which OpenCV 5 draws with a TrueType sans face, ignoring the pen width (a footed 1, a
    closed 4); coverage images in [0, 1], one per call."""

    def __init__(self, rng: np.random.Generator):
        self.font = int(rng.choice(FONTS))
        self.slant = float(rng.uniform(-0.25, 0.25))

    def render(self, char: str, height: int, pen: float, rng: np.random.Generator) -> tuple:
        """Return ``(coverage, baseline_offset)``: the glyph image and how far below the
        baseline its bottom edge lies (descenders)."""
        font = self.font
        ref_h = cv2.getTextSize("H", font, 1.0, 1)[0][1]
        scale = height * rng.uniform(0.9, 1.1) / ref_h
        thick = max(1, int(round(pen)))
        (tw, th), base = cv2.getTextSize(char, font, scale, thick)
        pad = thick + height // 2
        canvas = np.zeros((th + base + 2 * pad, tw + 2 * pad), np.uint8)
        cv2.putText(canvas, char, (pad, pad + th), font, scale, 255, thick, cv2.LINE_AA)
        warped = _jitter(canvas, height, self.slant, rng)
        baseline_row = pad + th
        ys, xs = np.nonzero(warped > 20)
        if ys.size == 0:
            return np.zeros((1, 1), np.float32), 0
        crop = warped[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]
        return crop.astype(np.float32) / 255.0, int(ys.max() - baseline_row)


class StrokeGlyphs:
    """Block letters drawn stroke by stroke (``export.strokefont``) with the page's pen width,
    per-point noise, slant and a smooth displacement field."""

    def __init__(self, rng: np.random.Generator, pen_lift: float = 0.0):
        self.slant = float(rng.uniform(-0.25, 0.25))
        self.width = float(rng.uniform(0.75, 1.05))
        self.pen_lift = pen_lift

    def render(self, char: str, height: int, pen: float, rng: np.random.Generator) -> tuple:
        """Return ``(coverage, baseline_offset)`` like ``HersheyGlyphs.render``."""
        unit = height * rng.uniform(0.92, 1.08) / 6
        thick = max(1, int(round(pen)))
        pad = thick + height // 2
        canvas = np.zeros(
            (int(8 * unit) + 2 * pad, int(4.4 * unit * self.width) + 2 * pad), np.uint8
        )
        lines = strokefont.strokes(char)
        if self.pen_lift and len(lines) > 1:
            lines = [_shortened(line, self.pen_lift * 6 + thick / 2 / unit) for line in lines]
        lines = [line * [unit * self.width, unit] + pad for line in lines]
        return _pen_glyph(canvas, lines, thick, height, self.slant, pad + 6 * unit, rng)


def _pen_glyph(canvas, lines, thick, height, slant, baseline_row, rng) -> tuple:
    """Draw polylines (canvas pixels) with a pen ``thick`` wide, each point moved by noise of
    0.025 ``height``, jitter the canvas (``_jitter``) and return ``(coverage, baseline_offset)``
    cropped to the ink."""
    for line in lines:
        pts = line + rng.normal(0, 0.025 * height, line.shape)
        cv2.polylines(
            canvas, [np.round(pts * 8).astype(np.int32)], False, 255, thick, cv2.LINE_AA, shift=3
        )
    warped = _jitter(canvas, height, slant, rng)
    ys, xs = np.nonzero(warped > 20)
    if ys.size == 0:
        return np.zeros((1, 1), np.float32), 0
    crop = warped[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]
    return crop.astype(np.float32) / 255.0, int(ys.max() - baseline_row)


def _shortened(line: np.ndarray, cut: float) -> np.ndarray:
    """A polyline (grid units) ``cut`` units shorter at both ends, where it would meet another
    stroke of its character; ends too short for that stay."""
    line = line.copy()
    for end, inner in ((0, 1), (-1, -2)):
        step = line[inner] - line[end]
        length = float(np.hypot(*step))
        if length > 2 * cut:
            line[end] += step / length * cut
    return line


GLYPH_SOURCES = {"hershey": HersheyGlyphs, "strokes": StrokeGlyphs, "type": TypeGlyphs}


class DatasetGlyphs:
    """Real handwritten glyphs (EMNIST held-out / MNIST test) from ../shared/data.

    EMNIST Balanced folds l into L, and 131 of the 177 held-out L's are a lower-case l's bare
    bar, which no reader can tell from I or 1; the pages' capital L is drawn only from the
    L's that are not a bar (``is_bar``), an l from the bars. The other lower-case letters
    Balanced folds into their capitals (c, o, s, ...) are drawn from the capital's samples,
    which hold both cases. Every glyph is drawn as tall as a capital, unless ``cased``: then
    lower-case letters are drawn at their size on the line (``LOWER_SIZE``, x-height
    ``X_HEIGHT``) and g, j, p, q, y reach below it (``LOWER_DESCENDERS``)."""

    def __init__(self, data_dir: Path = DATA_DIR, cased: bool = False):
        from export.data import load_emnist47, load_mnist

        letters = load_emnist47(data_dir / "emnist", "test")
        digits = load_mnist(data_dir / "mnist", "test")
        self.pool: dict[str, list[np.ndarray]] = {}
        for x, y, labels in ((letters.x, letters.y, letters.labels), (digits.x, digits.y, None)):
            for img, lab in zip(x, y, strict=True):
                char = labels[lab] if labels else str(lab)
                if char in DIGITS and labels:
                    continue  # digits come from MNIST test
                self.pool.setdefault(char, []).append(img)
        if "L" in self.pool:
            self.pool["l"] = [img for img in self.pool["L"] if is_bar(img)]
            self.pool["L"] = [img for img in self.pool["L"] if not is_bar(img)]
        self.cased = cased

    def render(self, char: str, height: int, pen: float, rng: np.random.Generator) -> tuple:
        """Return ``(coverage, baseline_offset)`` for a random sample of ``char``."""
        samples = self.pool[char if char in self.pool else char.upper()]
        img = samples[int(rng.integers(len(samples)))]
        ys, xs = np.nonzero(img > 30)
        crop = img[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]
        descends = char in DESCENDERS
        if self.cased and char.islower():
            descends = char in LOWER_DESCENDERS
            height = round(height * LOWER_DESCENDERS.get(char, LOWER_SIZE.get(char, 1.0)))
        scale = height / crop.shape[0]
        w = max(1, round(crop.shape[1] * scale))
        glyph = cv2.resize(crop, (w, height), interpolation=cv2.INTER_LINEAR)
        drop = int(0.3 * height) if descends else 0
        return glyph.astype(np.float32) / 255.0, drop


def is_bar(img: np.ndarray) -> bool:
    """Whether a bright-on-black glyph is one straight stroke: its ink's spread across its main
    axis is under ``BAR_RATIO`` of its spread along it."""
    ys, xs = np.nonzero(img > 100)
    if len(xs) < 3:
        return False
    minor, major = np.linalg.eigvalsh(np.cov(np.stack([xs, ys]).astype(np.float64)))
    return bool(major > 0 and np.sqrt(max(minor, 0.0) / major) < BAR_RATIO)


def _jitter(canvas: np.ndarray, height: int, slant: float, rng: np.random.Generator):
    """Slant, rotate and scale a glyph and displace its points with a smooth random field."""
    h, w = canvas.shape
    cx, cy = w / 2, h / 2
    angle = np.deg2rad(rng.uniform(-6, 6))
    sx = rng.uniform(0.85, 1.15)
    shear = slant + rng.uniform(-0.08, 0.08)
    a = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    a = a @ np.array([[sx, -shear], [0.0, 1.0]])
    inv = np.linalg.inv(a)
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    dx, dy = xs - cx, ys - cy
    src_x = inv[0, 0] * dx + inv[0, 1] * dy + cx
    src_y = inv[1, 0] * dx + inv[1, 1] * dy + cy
    amp = 0.05 * height
    for grid in (src_x, src_y):
        noise = rng.normal(0, 1, (4, 4)).astype(np.float32)
        grid += cv2.resize(noise, (w, h), interpolation=cv2.INTER_CUBIC) * amp
    return cv2.remap(
        canvas, src_x.astype(np.float32), src_y.astype(np.float32), cv2.INTER_LINEAR, borderValue=0
    )


def random_text(rng: np.random.Generator, cond: Condition, alphabet: str) -> list[str]:
    """Lines (two to four by default) of words and numbers drawn from ``alphabet`` (about 30
    characters)."""
    letters = "".join(c for c in alphabet if c in UPPER)
    digits = "".join(c for c in alphabet if c in DIGITS)
    if cond.prose:
        return _prose(rng, cond, digits)
    lines = []
    for _ in range(int(rng.integers(*cond.lines))):
        words = []
        for _ in range(int(rng.integers(1, 4))):
            kind = rng.random()
            if digits and (not letters or kind < 0.35):
                words.append("".join(rng.choice(list(digits), int(rng.integers(2, 6)))))
            elif cond.lower and kind < 0.7:
                words.append(str(rng.choice(WORDS_LOWER)))
            elif kind < 0.85:
                words.append(str(rng.choice(WORDS)))
            else:
                words.append("".join(rng.choice(list(letters), int(rng.integers(2, 6)))))
        lines.append(" ".join(words))
    return lines


def _prose(rng: np.random.Generator, cond: Condition, digits: str) -> list[str]:
    """Lines of two or three ``WORDS_PROSE`` words, the first capitalized on half the lines,
    and a number of one to four ``digits`` in place of a word one time in eight."""
    lines = []
    for _ in range(int(rng.integers(*cond.lines))):
        words = []
        for _ in range(int(rng.integers(2, 4))):
            if digits and rng.random() < 0.125:
                words.append("".join(rng.choice(list(digits), int(rng.integers(1, 5)))))
            else:
                words.append(str(rng.choice(WORDS_PROSE)))
        if rng.random() < 0.5:
            words[0] = words[0].capitalize()
        lines.append(" ".join(words))
    return lines


def _layout(lines: list[str], glyphs, cond: Condition, rng: np.random.Generator, char_h: int):
    """Render ``lines`` into a coverage image; returns ``(coverage, boxes, line_rows)``."""
    pen = char_h * (rng.uniform(0.14, 0.22) if cond.ink == "marker" else rng.uniform(0.05, 0.1))
    if cond.ink == "pencil":
        pen = char_h * rng.uniform(0.04, 0.07)
    line_gap = char_h * rng.uniform(*cond.line_pitch)
    width = int(char_h * 2.0 * max(len(t) for t in lines) + 2 * char_h)
    height = int(line_gap * (len(lines) - 1) + 4 * char_h)
    cov = np.zeros((height, width), np.float32)
    boxes, rows = [], []
    y_base = char_h * 2.0
    for text in lines:
        x = char_h * 0.1
        rows.append(y_base)
        slope = rng.uniform(-0.02, 0.02)
        for i, char in enumerate(text):
            if char == " ":
                x += char_h * rng.uniform(0.7, 1.1)
                continue
            g, drop = glyphs.render(char, char_h, pen, rng)
            gh, gw = g.shape
            y1 = int(y_base + slope * x + drop + rng.normal(0, 0.03 * char_h))
            y0, x0 = y1 - gh, int(x)
            if y0 < 0 or x0 + gw > width or y1 > height:
                raise ValueError(f"glyph {char!r} does not fit the page canvas")
            cov[y0:y1, x0 : x0 + gw] = np.maximum(cov[y0:y1, x0 : x0 + gw], g)
            boxes.append([x0, y0, gw, gh])
            nxt = text[i + 1] if i + 1 < len(text) else " "
            touch = nxt != " " and rng.random() < cond.touching
            gap = -max(1.0, pen * 0.8) if touch else char_h * rng.uniform(0.12, 0.3)
            x += gw + gap
        y_base += line_gap
    top = max(0, min(b[1] for b in boxes) - int(char_h * 0.3))
    right = max(b[0] + b[2] for b in boxes) + int(char_h * 0.2)
    bottom = max(b[1] + b[3] for b in boxes) + int(char_h * 0.3)
    boxes = [[x, y - top, w, h] for x, y, w, h in boxes]
    return cov[top:bottom, :right], boxes, [r - top for r in rows]


def _paper(shape: tuple[int, int], cond: Condition, rng: np.random.Generator) -> np.ndarray:
    """Paper colour with a faint low-frequency texture, float32 BGR in [0, 1]."""
    h, w = shape
    tint = np.array([rng.uniform(0.86, 0.97), rng.uniform(0.9, 0.98), rng.uniform(0.92, 1.0)])
    tex = cv2.resize(rng.normal(0, 0.015, (8, 8)).astype(np.float32), (w, h))
    return np.clip(tint[None, None, :] + tex[..., None], 0, 1).astype(np.float32)


def _rule(paper: np.ndarray, rows: list[float], char_h: int, rng: np.random.Generator) -> None:
    """Draw ruled notebook lines near the text baselines (crossing some letters) in place."""
    h, w = paper.shape[:2]
    spacing = (rows[1] - rows[0]) / 2 if len(rows) > 1 else char_h * 1.0
    y = rows[0] + rng.uniform(-0.15, 0.1) * char_h
    while y - spacing > 0:
        y -= spacing
    color = (rng.uniform(0.6, 0.8), rng.uniform(0.5, 0.7), rng.uniform(0.35, 0.55))
    thick = int(rng.integers(1, 3))
    while y < h:
        cv2.line(paper, (0, int(y)), (w, int(y)), color, thick, cv2.LINE_AA)
        y += spacing
    if rng.random() < 0.5:
        x = int(char_h * 0.3)
        cv2.line(paper, (x, 0), (x, h), (0.45, 0.45, 0.85), thick, cv2.LINE_AA)


def _grid(paper: np.ndarray, char_h: int, rng: np.random.Generator) -> None:
    """Draw squared-paper lines (half to one capital's height apart) in place."""
    h, w = paper.shape[:2]
    step = char_h * rng.uniform(0.5, 1.0)
    color = (rng.uniform(0.7, 0.9), rng.uniform(0.6, 0.8), rng.uniform(0.45, 0.7))
    offset = rng.uniform(0, step, 2)
    for x in np.arange(offset[0], w, step):
        cv2.line(paper, (int(x), 0), (int(x), h), color, 1, cv2.LINE_AA)
    for y in np.arange(offset[1], h, step):
        cv2.line(paper, (0, int(y)), (w, int(y)), color, 1, cv2.LINE_AA)


def _ghosts(board: np.ndarray, char_h: int, rng: np.random.Generator) -> None:
    """Faint wiped-out marker strokes of earlier writing on a whiteboard, in place."""
    h, w = board.shape[:2]
    ghost = np.zeros((h, w), np.float32)
    for _ in range(int(rng.integers(4, 12))):
        pts = np.cumsum(rng.normal(0, char_h * 0.6, (6, 2)), axis=0) + rng.uniform(0, 1, 2) * [w, h]
        cv2.polylines(ghost, [pts.astype(np.int32)], False, 1.0, max(2, char_h // 8), cv2.LINE_AA)
    ghost = cv2.GaussianBlur(ghost, (0, 0), char_h * 0.15) * rng.uniform(0.06, 0.14)
    board *= 1 - ghost[..., None]


def _ink_color(cond: Condition, rng: np.random.Generator) -> np.ndarray:
    """Ink colour in BGR [0, 1] for the condition's pen."""
    if cond.ink == "color":
        blue = (rng.uniform(0.5, 0.75), rng.uniform(0.15, 0.3), rng.uniform(0.05, 0.2))
        purple = (rng.uniform(0.45, 0.6), rng.uniform(0.1, 0.2), rng.uniform(0.35, 0.5))
        return np.array(blue if rng.random() < 0.6 else purple)
    if cond.ink == "marker" and cond.whiteboard:
        colours = ((0.1, 0.1, 0.1), (0.55, 0.2, 0.1), (0.15, 0.15, 0.6), (0.2, 0.45, 0.15))
        return np.array(colours[int(rng.integers(len(colours)))]) + rng.uniform(0, 0.08)
    if cond.ink == "marker":
        return np.array((0.12, 0.1, 0.1)) + rng.uniform(0, 0.1)
    if cond.ink == "pencil":
        return np.full(3, rng.uniform(0.3, 0.5))
    return np.full(3, rng.uniform(0.05, 0.25))


def _lighting(img: np.ndarray, cond: Condition, rng: np.random.Generator) -> None:
    """Multiply ``img`` in place by a lighting gradient, vignetting and a cast shadow; add a
    whiteboard's glare."""
    h, w = img.shape[:2]
    sw, sh = 160, max(2, round(160 * h / w))  # the light field is smooth: build it small
    light = np.ones((sh, sw), np.float32)
    ys, xs = np.mgrid[0:sh, 0:sw].astype(np.float32)
    if cond.gradient:
        gx, gy = rng.uniform(-1, 1, 2)
        ramp = (gx * (xs / sw - 0.5) + gy * (ys / sh - 0.5)) * rng.uniform(0.5, 0.9)
        light *= 1 + ramp - abs(ramp).max() * 0.2
    if cond.webcam or cond.gradient:
        r2 = ((xs - sw / 2) / (sw / 2)) ** 2 + ((ys - sh / 2) / (sh / 2)) ** 2
        light *= 1 - rng.uniform(0.15, 0.4) * r2 / 2
    light = cv2.resize(light, (w, h), interpolation=cv2.INTER_LINEAR)
    if cond.shadow:
        mask = np.zeros((h, w), np.float32)
        center = (int(rng.uniform(0.2, 0.8) * w), int(rng.uniform(0.2, 0.8) * h))
        axes = (int(rng.uniform(0.3, 0.6) * w), int(rng.uniform(0.15, 0.3) * h))
        cv2.ellipse(mask, center, axes, rng.uniform(0, 180), 0, 360, 1.0, -1)
        blur = int(rng.uniform(0.01, 0.05) * w) * 2 + 1
        mask = cv2.GaussianBlur(mask, (blur, blur), 0)
        light *= 1 - rng.uniform(0.35, 0.55) * mask
    img *= light[..., None]
    if cond.whiteboard:  # the board's gloss: a streak of glare from a window or a lamp
        streak = np.zeros((h, w), np.float32)
        center = (int(rng.uniform(0.2, 0.8) * w), int(rng.uniform(0.2, 0.8) * h))
        axes = (int(rng.uniform(0.1, 0.3) * w), int(rng.uniform(0.03, 0.08) * h))
        cv2.ellipse(streak, center, axes, rng.uniform(-30, 30), 0, 360, 1.0, -1)
        streak = cv2.GaussianBlur(streak, (0, 0), 0.02 * w) * rng.uniform(0.5, 0.85)
        img += streak[..., None] * (1.0 - img)


def _table_background(shape: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    """A wood-like or dark desk background, float32 BGR in [0, 1]."""
    h, w = shape
    if rng.random() < 0.5:
        base = np.array((0.2, 0.35, 0.55), np.float32) * rng.uniform(0.7, 1.1)
        grain = cv2.resize(rng.normal(0, 0.08, (h // 40 + 2, 6)).astype(np.float32), (w, h))
        return np.clip(base[None, None, :] * (1 + grain[..., None]), 0, 1).astype(np.float32)
    base = np.full(3, rng.uniform(0.08, 0.25), np.float32)
    noise = rng.standard_normal((h, w, 1), dtype=np.float32) * 0.02
    return np.clip(base[None, None, :] + noise, 0, 1)


def _write_sheet(cov, boxes, rows, cond: Condition, rng, sheet_wh: tuple, char_h: int):
    """Put the text block on a paper sheet of ``sheet_wh``; returns ``(sheet, boxes)``."""
    sw, sh = sheet_wh
    bh, bw = cov.shape
    fit = min(1.0, 0.94 * sw / bw, 0.94 * sh / bh)
    if fit < 1.0:
        cov = cv2.resize(cov, None, fx=fit, fy=fit, interpolation=cv2.INTER_AREA)
        boxes = [[round(v * fit) for v in b] for b in boxes]
        rows, char_h = [r * fit for r in rows], max(4, round(char_h * fit))
        bh, bw = cov.shape
    x_first = min(b[0] for b in boxes)
    x0 = -x_first if cond.frame else int(rng.integers(0, sw - bw + 1))
    y0 = int(rng.integers(0, sh - bh + 1))
    full = np.zeros((sh, sw), np.float32)
    vis = cov[:, max(0, -x0) : max(0, -x0) + sw - max(0, x0)]
    full[y0 : y0 + bh, max(0, x0) : max(0, x0) + vis.shape[1]] = vis
    boxes = [[b[0] + x0, b[1] + y0, b[2], b[3]] for b in boxes]
    sheet = _paper((sh, sw), cond, rng)
    if cond.ruled:
        _rule(sheet, [r + y0 for r in rows], char_h, rng)
    if cond.grid:
        _grid(sheet, char_h, rng)
    if cond.whiteboard:
        _ghosts(sheet, char_h, rng)
    ink = _ink_color(cond, rng).astype(np.float32)
    alpha = full * (rng.uniform(0.75, 0.95) if cond.ink == "color" else 1.0)
    if cond.ink == "pencil":  # graphite leaves grain: the paper's tooth shows through
        grain = rng.uniform(0.6, 1.0, full.shape).astype(np.float32)
        alpha = alpha * cv2.GaussianBlur(grain, (0, 0), 0.7)
    sheet = sheet * (1 - alpha[..., None]) + ink[None, None, :] * alpha[..., None]
    return sheet.astype(np.float32), boxes


def _place_on_photo(sheet: np.ndarray, boxes: list, cond: Condition, rng, out_wh: tuple):
    """Warp the sheet into the output frame (rotation; on a table: perspective and edges)."""
    out_w, out_h = out_wh
    sh, sw = sheet.shape[:2]
    src = np.float32([[0, 0], [sw, 0], [sw, sh], [0, sh]])
    dst = src - [sw / 2, sh / 2]
    if cond.rotate:
        t = np.deg2rad(rng.uniform(-cond.rotate, cond.rotate))
        dst = dst @ np.array([[np.cos(t), np.sin(t)], [-np.sin(t), np.cos(t)]])
    if cond.table:
        dst += rng.uniform(-0.04, 0.04, dst.shape) * [out_w, out_h]
    dst = (dst + [out_w / 2, out_h / 2]).astype(np.float32)
    m = cv2.getPerspectiveTransform(src, dst)
    if cond.table:
        back = _table_background((out_h, out_w), rng)
        cover = cv2.warpPerspective(np.ones((sh, sw), np.float32), m, (out_w, out_h))[..., None]
        img = back * (1 - cover) + cv2.warpPerspective(sheet, m, (out_w, out_h)) * cover
    elif cond.rotate:
        img = cv2.warpPerspective(sheet, m, (out_w, out_h), borderMode=cv2.BORDER_REFLECT)
    else:
        img = sheet
    out_boxes = []
    for x, y, w, h in boxes:
        pts = np.float32([[[x, y]], [[x + w, y]], [[x + w, y + h]], [[x, y + h]]])
        tp = cv2.perspectiveTransform(pts, m).reshape(-1, 2)
        x0, y0 = np.floor(tp.min(axis=0)).astype(int)
        x1, y1 = np.ceil(tp.max(axis=0)).astype(int)
        out_boxes.append([int(x0), int(y0), int(x1 - x0), int(y1 - y0)])
    return img, out_boxes


def _camera(img: np.ndarray, cond: Condition, rng: np.random.Generator) -> np.ndarray:
    """Colour cast, blur, sensor noise and JPEG artefacts; returns BGR uint8."""
    if cond.webcam:
        img = img * rng.uniform(0.75, 1.1, 3).astype(np.float32)[None, None, :]
    sigma = rng.uniform(0.8, 1.6) if cond.webcam else rng.uniform(0.0, 0.9)
    sigma *= max(1.0, img.shape[1] / 1400)
    if sigma > 0.3:
        img = cv2.GaussianBlur(img, (0, 0), sigma)
    noise = rng.uniform(0.02, 0.04) if cond.webcam else rng.uniform(0.005, 0.02)
    img = img + rng.standard_normal(img.shape, dtype=np.float32) * np.float32(noise)
    out = np.clip(img * 255 + 0.5, 0, 255).astype(np.uint8)
    quality = int(rng.integers(35, 70) if cond.webcam else rng.integers(60, 95))
    ok, buf = cv2.imencode(".jpg", out, [cv2.IMWRITE_JPEG_QUALITY, quality])
    return cv2.imdecode(buf, cv2.IMREAD_COLOR)


def make_page(
    rng: np.random.Generator,
    condition: str | Condition = "clean",
    glyphs: str | object = "hershey",
    text: list[str] | None = None,
    alphabet: str = DIGITS + UPPER,
) -> SynthPage:
    """Generate one photo of handwritten ``text`` (random when None) under ``condition`` (a
    name in ``CONDITIONS``, or a ``Condition``).

    ``glyphs`` is "hershey", "strokes", "type" or a glyph source such as ``DatasetGlyphs()``;
    ``alphabet`` limits the random text (e.g. digits only for a digit model)."""
    cond = CONDITIONS[condition] if isinstance(condition, str) else condition
    if cond.lower:
        alphabet = alphabet + "".join(c for c in LOWER47 if c not in alphabet)
    lines = text or random_text(rng, cond, alphabet)
    if cond.pen_lift and glyphs != "strokes":
        raise ValueError("pen lifts are drawn for the stroke font only")
    if glyphs == "strokes":
        source = StrokeGlyphs(rng, cond.pen_lift)
    else:
        source = GLYPH_SOURCES[glyphs](rng) if isinstance(glyphs, str) else glyphs
    char_h = int(rng.integers(*cond.char_h))
    out_w, out_h = SIZES[cond.size]
    cov, boxes, rows = _layout(lines, source, cond, rng, char_h)
    fill = rng.uniform(0.72, 0.85) if cond.table else 1.0
    sheet_wh = (int(out_w * fill), int(out_h * fill))
    sheet, boxes = _write_sheet(cov, boxes, rows, cond, rng, sheet_wh, char_h)
    img, boxes = _place_on_photo(sheet, boxes, cond, rng, (out_w, out_h))
    _lighting(img, cond, rng)
    return SynthPage(_camera(img, cond, rng), lines, condition, boxes)


def with_exif_orientation(jpeg: bytes, orientation: int) -> bytes:
    """Insert a minimal EXIF APP1 segment carrying ``orientation`` after a JPEG's SOI marker."""
    entry = struct.pack(">HHIHH", 0x0112, 3, 1, orientation, 0)
    tiff = b"MM\x00*" + struct.pack(">I", 8) + struct.pack(">H", 1) + entry + b"\x00\x00\x00\x00"
    payload = b"Exif\x00\x00" + tiff
    app1 = b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload
    return jpeg[:2] + app1 + jpeg[2:]


EXAMPLES = {  # file -> (condition, seed, text); the EXIF one is stored rotated, tag 6, the
    # sideways one stored turned a quarter clockwise without a tag, the chalkboard inverted
    "note.jpg": ("gradient", 7, ["HELLO WORLD", "CALL 5551234", "MEET AT 10"]),
    "webcam.jpg": ("webcam", 3, ["BUY MILK", "EGGS 12"]),
    "exif-rotated.jpg": ("shadow", 5, ["ROOM 42", "NORTH GATE"]),
    "squared.jpg": ("grid", 1, ["PAGE 12", "HOMEWORK DUE", "FRIDAY"]),
    "whiteboard.jpg": ("whiteboard", 1, ["TEAM MEETING", "ROOM 12"]),
    "pencil.jpg": ("pencil", 1, ["SHOPPING", "BREAD 2", "APPLES 6"]),
    "sideways.jpg": ("table", 1, ["PARCEL FOR", "FLAT 21"]),
    "chalkboard.jpg": ("shadow", 1, ["QUIZ ON FRIDAY", "PAGES 40 TO 52"]),
}


def write_examples(out: Path) -> list[Path]:
    """Write the README demo photos (block-letter stroke glyphs; no dataset images) into ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, (condition, seed, text) in EXAMPLES.items():
        image = make_page(np.random.default_rng(seed), condition, "strokes", text=text).image
        if name.startswith("exif"):
            image = cv2.rotate(image, cv2.ROTATE_90_COUNTERCLOCKWISE)
        if name.startswith("sideways"):
            image = cv2.rotate(image, cv2.ROTATE_90_CLOCKWISE)
        if name.startswith("chalkboard"):  # light writing on a dark ground
            image = cv2.bitwise_not(image)
        data = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 90])[1].tobytes()
        if name.startswith("exif"):
            data = with_exif_orientation(data, 6)
        (out / name).write_bytes(data)
        paths.append(out / name)
    return paths


def generate(out: Path, pages: int, seed: int, conditions: list[str], glyphs: str) -> Path:
    """Write ``pages`` photos cycling through ``conditions`` and their ``truth.jsonl``."""
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    source = DatasetGlyphs() if glyphs == "emnist" else glyphs
    truth = out / "truth.jsonl"
    with truth.open("w") as f:
        for i in range(pages):
            page = make_page(rng, conditions[i % len(conditions)], source)
            name = f"page_{i:04d}.jpg"
            cv2.imwrite(str(out / name), page.image, [cv2.IMWRITE_JPEG_QUALITY, 95])
            record = {"file": name, "condition": page.condition, "text": page.text}
            f.write(json.dumps({**record, "boxes": page.boxes}) + "\n")
    return truth


def _run(args: argparse.Namespace) -> int:
    unknown = [c for c in args.conditions if c not in CONDITIONS]
    if unknown:
        print(f"error: unknown condition {unknown[0]!r} (choose from {', '.join(CONDITIONS)})")
        return 2
    if args.examples:
        for path in write_examples(Path(args.out)):
            print(f"wrote {path}")
        return 0
    truth = generate(Path(args.out), args.pages, args.seed, args.conditions, args.glyphs)
    print(f"wrote {args.pages} pages and {truth}")
    return 0


def register(subparsers) -> None:
    """Add ``synth`` to ``python -m export``."""
    p = subparsers.add_parser("synth", help="generate synthetic handwriting photos + truth")
    p.add_argument("--out", required=True, help="output folder")
    p.add_argument("--pages", type=int, default=20)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--conditions", nargs="+", default=list(CONDITIONS), metavar="NAME")
    p.add_argument("--glyphs", choices=["hershey", "strokes", "type", "emnist"], default="hershey")
    p.add_argument("--examples", action="store_true", help="write the fixed README examples")
    p.set_defaults(func=_run)
