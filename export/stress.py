"""Stress probes: photographic faults the benchmark's conditions do not draw.

``python -m export stress [--pages 16] [--glyphs strokes] [--probes bent converging ...]``
generates pages (seeds 0..pages-1, cycling through ``BASES``: clean, webcam, table, ruled;
``--bases`` names others, e.g. ``phone_12mp``: the whole sheet in a 12 MP frame),
applies each probe to the finished photo and reports the errors (edit distance) and CER per
probe, and the errors on the pages that are not ruled. ``none`` is the pages as generated.
The same seeds make the same pages for every probe. ``--dense`` writes notes of 10-14 lines
closer together than the benchmark's, where letters of neighbouring lines touch;
``--pen-lift GAP`` draws the stroke font's letters with strokes that stop GAP capital heights
short of each other, as a pen lifted between strokes leaves them. ``--prose`` writes notes as
people write them: lower-case words, some capitalized, a few numbers (``synth.Condition.prose``;
EMNIST glyphs at their size on the line, ``DatasetGlyphs(cased=True)``). ``--size phone
--char-h 24 36`` draws small text in a 12 MP frame (capitals 24-35 pixels tall); ``--rotate
20`` turns the text up to 20 degrees either way (a photo held at a tilt).
These are checks for failures that break whole pages (a bent notebook page, a hard shadow
across the desk, chalk on a board), not a benchmark to tune to: the figures are the project's
own generator's, with faults of the project's own making.
"""

from __future__ import annotations

import argparse
import dataclasses
import time

import cv2
import numpy as np

from export import synth
from export.accuracy import edit_distance, page_alphabet

BASES = ("clean", "webcam", "table", "ruled")
DENSE_LINES = (10, 15)  # --dense: 10-14 lines of notes ...
DENSE_PITCH = (1.4, 1.7)  # ... this many capital heights apart (the benchmark: 1.7-2.2)


def _text_height(page: synth.SynthPage) -> float:
    return float(np.median([b[3] for b in page.boxes]))


def _remap(img: np.ndarray, dy: np.ndarray) -> np.ndarray:
    h, w = img.shape[:2]
    xs, ys = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    return cv2.remap(
        img, xs, ys + dy.astype(np.float32), cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
    )


def bent(img, page, rng):
    """A bent page: lines (and rules) curve by a sine of 0.35 text heights across the width."""
    h, w = img.shape[:2]
    xs = np.arange(w, dtype=np.float32)[None].repeat(h, 0)
    return _remap(img, 0.35 * _text_height(page) * np.sin(2 * np.pi * xs / w + rng.uniform(0, 6)))


def converging(img, page, rng):
    """Perspective across the lines: the top ones tilt 4 degrees one way, the bottom ones the
    other."""
    h, w = img.shape[:2]
    xs, ys = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    return _remap(img, np.tan(np.radians(4.0)) * (ys - h / 2) / (h / 2) * (xs - w / 2))


def keystone(img, page, rng):
    """The phone tilted back: the top of the frame 30% narrower than the bottom."""
    h, w = img.shape[:2]
    src = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
    dst = np.float32([[0.15 * w, 0], [0.85 * w, 0], [w, h], [0, h]])
    m = cv2.getPerspectiveTransform(src, dst)
    return cv2.warpPerspective(img, m, (w, h), borderMode=cv2.BORDER_REPLICATE)


def _shake(img: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """``img`` blurred by a 9 x 9 line ``kernel`` of ones, normalized."""
    return cv2.filter2D(img, -1, kernel / kernel.sum())


def motion(img, page, rng):
    """Camera shake: a 9-pixel horizontal motion blur."""
    kernel = np.zeros((9, 9), np.float32)
    kernel[4, :] = 1
    return _shake(img, kernel)


def motion_vertical(img, page, rng):
    """Camera shake up and down: a 9-pixel vertical motion blur."""
    kernel = np.zeros((9, 9), np.float32)
    kernel[:, 4] = 1
    return _shake(img, kernel)


def motion_diagonal(img, page, rng):
    """Camera shake along the diagonal: 9 pixels each way (12.7 long)."""
    return _shake(img, np.eye(9, dtype=np.float32))


def defocus(img, page, rng):
    """Out of focus: a Gaussian blur of 0.06 text heights."""
    return cv2.GaussianBlur(img, (0, 0), 0.06 * _text_height(page))


def defocus_strong(img, page, rng):
    """Far out of focus: a Gaussian blur of 0.1 text heights."""
    return cv2.GaussianBlur(img, (0, 0), 0.1 * _text_height(page))


def defocus_lens(img, page, rng):
    """Out of focus as a lens is: each point spread into a disk of radius 0.12 text heights,
    then the sensor's noise (3 grey levels)."""
    radius = 0.12 * _text_height(page)
    size = 2 * int(np.ceil(radius)) + 3
    ys, xs = np.mgrid[:size, :size] - (size - 1) / 2
    disk = np.clip(radius + 0.5 - np.hypot(xs, ys), 0, 1).astype(np.float32)
    blurred = cv2.filter2D(img, -1, disk / disk.sum())
    return np.clip(blurred + rng.normal(0, 3, img.shape), 0, 255).astype(np.uint8)


def hard_shadow(img, page, rng):
    """The phone's shadow with a sharp edge over most of the frame, at 40% of the light."""
    h, w = img.shape[:2]
    shade = np.zeros((h, w), np.float32)
    x0 = rng.uniform(0.3, 0.7) * w
    cv2.fillPoly(shade, [np.int32([[x0, 0], [w, 0], [w, h], [x0 - 0.3 * w, h]])], 1.0)
    shade = cv2.GaussianBlur(shade, (0, 0), 2)
    return (img * (1 - 0.6 * shade[..., None])).astype(np.uint8)


def glare(img, page, rng):
    """A flash's glare: a round highlight that washes 85% of the way to white at its centre."""
    h, w = img.shape[:2]
    ys, xs = np.mgrid[0:h, 0:w]
    cx, cy = rng.uniform(0.3, 0.7) * w, rng.uniform(0.3, 0.7) * h
    spot = 0.85 * np.exp(-((xs - cx) ** 2 + (ys - cy) ** 2) / (2 * (0.12 * w) ** 2))
    return np.clip(img + (255 - img) * spot[..., None], 0, 255).astype(np.uint8)


def low_light(img, page, rng):
    """A dim room: 30% of the light and sensor noise of 6 grey levels."""
    return np.clip(img * 0.3 + rng.normal(0, 6, img.shape), 0, 255).astype(np.uint8)


def chalk(img, page, rng):
    """Light writing on a dark ground: the photo inverted (a table page: a board on a wall)."""
    return cv2.bitwise_not(img)


def small(img, page, rng):
    """The photo at half size: small text."""
    return cv2.resize(img, None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA)


def jpeg(img, page, rng):
    """Heavy compression: JPEG quality 12."""
    return cv2.imdecode(cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, 12])[1], 1)


def _free_side(page: synth.SynthPage, shape: tuple) -> tuple[str, float, np.ndarray]:
    """The frame's side with the most room beside the writing (half a text height kept
    clear), that room in pixels, and the writing's box (x0, y0, x1, y1) so kept clear."""
    h, w = shape[:2]
    text_h = _text_height(page)
    boxes = np.array(page.boxes, dtype=np.float64)
    x0, y0 = boxes[:, :2].min(axis=0) - text_h / 2
    x1, y1 = (boxes[:, :2] + boxes[:, 2:]).max(axis=0) + text_h / 2
    free = {"top": y0, "bottom": h - y1, "left": x0, "right": w - x1}
    side = max(free, key=free.get)
    return side, free[side], np.array([x0, y0, x1, y1])


def pen(img, page, rng):
    """A pen lying beside the writing, on the paper or across its edge, up to 30 degrees from
    level (or upright, beside the writing's side): a dark bar 6 to 10 text heights long and
    0.3 to 0.6 wide, a light highlight along its middle."""
    h, w = img.shape[:2]
    text_h = _text_height(page)
    side, room, (x0, y0, x1, y1) = _free_side(page, img.shape)
    if room < text_h:
        return img
    along = rng.uniform(0.3, 0.7)
    centre = {
        "top": (along * w, y0 / 2),
        "bottom": (along * w, (y1 + h) / 2),
        "left": (x0 / 2, along * h),
        "right": ((x1 + w) / 2, along * h),
    }[side]
    angle = rng.uniform(-0.5, 0.5) + (0.0 if side in ("top", "bottom") else np.pi / 2)
    half = np.array([np.cos(angle), np.sin(angle)]) * text_h * rng.uniform(6, 10) / 2
    ends = [tuple(int(v) for v in np.array(centre) + sign * half) for sign in (-1, 1)]
    body = int(rng.uniform(20, 90))
    out = img.copy()
    cv2.line(out, *ends, (body, body, body + 20), int(text_h * rng.uniform(0.3, 0.6)), cv2.LINE_AA)
    cv2.line(out, *ends, (body + 90,) * 3, max(1, int(0.08 * text_h)), cv2.LINE_AA)
    return out


def fingers(img, page, rng):
    """One to three fingers (a hand holding the sheet) entering from the frame's side with the
    most room, up to half a text height from the writing: of a skin tone from light to dark,
    1.2 to 1.8 text heights wide, casting a soft shadow (35% of the light at most)."""
    h, w = img.shape[:2]
    text_h = _text_height(page)
    side, room, _ = _free_side(page, img.shape)
    if room < text_h:
        return img
    skin = np.zeros((h, w), np.float32)
    for _ in range(int(rng.integers(1, 4))):
        at = rng.uniform(0.15, 0.85)
        edge = {
            "top": (at * w, 0),
            "bottom": (at * w, h),
            "left": (0, at * h),
            "right": (w, at * h),
        }
        angle = rng.uniform(-25, 25) + (90 if side in ("top", "bottom") else 0)
        axes = (
            int(0.95 * min(room, text_h * rng.uniform(4, 7))),
            int(text_h * rng.uniform(0.6, 0.9)),
        )
        centre = tuple(int(v) for v in edge[side])
        cv2.ellipse(skin, centre, axes, angle, 0, 360, 1.0, -1, cv2.LINE_AA)
    shadow = cv2.GaussianBlur(skin, (0, 0), 0.6 * text_h)[..., None]
    tone = rng.uniform(0, 1)  # light to dark skin
    colour = (1 - tone) * np.array([130, 160, 215]) + tone * np.array([45, 60, 90])
    colour = colour * rng.uniform(0.9, 1.1, 3)
    out = img.astype(np.float32) * (1 - 0.35 * shadow)
    out = out * (1 - skin[..., None]) + colour * skin[..., None]
    return np.clip(out + rng.normal(0, 2, out.shape), 0, 255).astype(np.uint8)


def laptop(img, page, rng):
    """A laptop's keyboard in view along one side of the frame, up to half a text height from
    the writing: a dark or silver body, dark keys two to three and a half text heights apart
    with light legends (as a MacBook's), a palm rest between them and the paper."""
    h, w = img.shape[:2]
    text_h = _text_height(page)
    side, room, _ = _free_side(page, img.shape)
    reach = int(min(room, 0.45 * (h if side in ("top", "bottom") else w)))
    if reach < 2 * text_h:
        return img
    along = w if side in ("top", "bottom") else h
    paper = float(np.percentile(cv2.cvtColor(img, cv2.COLOR_BGR2GRAY), 90))
    body = paper * (rng.uniform(0.2, 0.35) if rng.random() < 0.5 else rng.uniform(0.55, 0.75))
    deck = np.full((reach, along), int(body), np.uint8)  # far edge at row 0, the paper's side last
    pitch = text_h * rng.uniform(2.0, 3.5)
    gap = max(2, int(0.12 * pitch))
    rest = int(rng.uniform(0.3, 1.5) * pitch)  # palm rest between the last row and the paper
    key, legend = int(paper * rng.uniform(0.05, 0.12)), int(paper * rng.uniform(0.55, 0.8))
    offset = rng.uniform(0, pitch)
    scale = 0.3 * pitch / cv2.getTextSize("H", cv2.FONT_HERSHEY_SIMPLEX, 1.0, 1)[0][1]
    for r, top in enumerate(np.arange(reach - rest - pitch, -pitch, -pitch)):
        for left in np.arange(-offset - 0.3 * r * pitch, along, pitch):
            a, b = int(round(top)), int(round(left))
            cv2.rectangle(deck, (b, a), (b + int(pitch) - gap, a + int(pitch) - gap), key, -1)
            char = "QWERTYUIOPASDFGHJKLZXCVBNM1234567890"[int(rng.integers(36))]
            org = (b + int(0.15 * pitch), a + int(0.45 * pitch))
            cv2.putText(deck, char, org, cv2.FONT_HERSHEY_SIMPLEX, scale, legend, 1, cv2.LINE_AA)
    deck = cv2.GaussianBlur(deck, (0, 0), 0.8).astype(np.float32)
    deck = np.rot90(deck, {"top": 0, "left": 1, "bottom": 2, "right": -1}[side])
    out = img.astype(np.float32)
    window = {
        "top": (slice(0, reach), slice(None)),
        "bottom": (slice(h - reach, h), slice(None)),
        "left": (slice(None), slice(0, reach)),
        "right": (slice(None), slice(w - reach, w)),
    }[side]
    out[window] = deck[..., None] + rng.normal(0, 2, deck.shape + (3,))
    return np.clip(out, 0, 255).astype(np.uint8)


def desk(img, page, rng):
    """The sheet's edge on the frame's side with the most room beside the writing (half a
    text height to half that room beyond it), and past it a wooden desk to the frame: brown,
    its blue channel 0.3 to 0.65 of the paper's light, with a grain along the edge, across it
    or at any angle: streaks 3 to 6 text heights long that vary its light by 5 to 20%."""
    h, w = img.shape[:2]
    text_h = _text_height(page)
    side, room, (x0, y0, x1, y1) = _free_side(page, img.shape)
    if room < text_h:
        return img
    paper = float(np.percentile(cv2.cvtColor(img, cv2.COLOR_BGR2GRAY), 90))
    blue = paper * rng.uniform(0.3, 0.65)
    colour = blue * np.array([1.0, rng.uniform(1.3, 1.5), rng.uniform(1.6, 2.0)])
    size = int(np.hypot(h, w)) + 2
    grain = rng.normal(0, 1, (size, size)).astype(np.float32)
    grain = cv2.GaussianBlur(grain, (0, 0), text_h * rng.uniform(3, 6), sigmaY=1.5)
    angle = float(rng.choice([0.0, 90.0, rng.uniform(0.0, 180.0)]))
    turn = cv2.getRotationMatrix2D((size / 2, size / 2), angle, 1.0)
    turn[:, 2] -= ((size - w) / 2, (size - h) / 2)
    grain = cv2.warpAffine(grain, turn, (w, h), borderMode=cv2.BORDER_REFLECT)
    grain *= rng.uniform(0.05, 0.2) / max(float(grain.std()), 1e-6)
    edge = rng.uniform(0.0, 0.5) * room
    rows, cols = np.mgrid[0:h, 0:w]
    beyond = {
        "top": rows < y0 - edge,
        "bottom": rows >= y1 + edge,
        "left": cols < x0 - edge,
        "right": cols >= x1 + edge,
    }[side]
    wood = colour * (1 + grain[..., None]) + rng.normal(0, 2, (h, w, 3))
    out = np.where(beyond[..., None], wood, img.astype(np.float32))
    return np.clip(out, 0, 255).astype(np.uint8)


def highlight(img, page, rng):
    """Every line of writing marked with a highlighter (yellow, pink, green or orange: a
    transparent dye that keeps the paper's light in its own colour), a band 1.1 to 1.4 text
    heights tall along the writing's tilt, on every other page that is no sheet on a desk
    run on to the frame's sides (a photo cropped to the sheet)."""
    text_h = _text_height(page)
    dyes = [(0.35, 1.0, 1.0), (0.8, 0.55, 1.0), (0.5, 1.0, 0.65), (0.3, 0.75, 1.0)]
    dye = np.array(dyes[int(rng.integers(len(dyes)))])
    h, w = img.shape[:2]
    cond = page.condition
    on_desk = (synth.CONDITIONS[cond] if isinstance(cond, str) else cond).table
    to_frame = rng.random() < 0.5 and not on_desk
    boxes = np.array(page.boxes, dtype=np.float64)
    counts = [len(line.replace(" ", "")) for line in page.lines]
    lines = np.split(boxes, np.cumsum(counts)[:-1])
    slopes = [np.polyfit(b[:, 0], b[:, 1] + b[:, 3], 1)[0] for b in lines if len(b) >= 4]
    slope = float(np.median(slopes)) if slopes else 0.0
    band = np.zeros((h, w), np.float32)
    for chars in (b for b in lines if len(b)):
        centres = chars[:, 1] + chars[:, 3] / 2 - slope * (chars[:, 0] + chars[:, 2] / 2)
        mid, half = float(np.median(centres)), text_h * rng.uniform(1.1, 1.4) / 2
        ends = (0.0, w) if to_frame else (chars[:, 0].min(), (chars[:, 0] + chars[:, 2]).max())
        x0, x1 = ends[0] - 0.2 * text_h, ends[1] + 0.2 * text_h
        corners = [(x0, -half), (x1, -half), (x1, half), (x0, half)]
        polygon = np.array([(x, mid + slope * x + dy) for x, dy in corners], np.int32)
        cv2.fillPoly(band, [polygon], 1.0, cv2.LINE_AA)
    tint = 1 - band[..., None] * (1 - dye)
    return np.clip(img.astype(np.float32) * tint, 0, 255).astype(np.uint8)


def _side_room(page: synth.SynthPage, shape: tuple) -> tuple[bool, float]:
    """Of the frame's left and right sides, the one with more room beside the writing
    (``_free_side``'s box): whether it is the left, and that room in pixels."""
    _, _, (x0, _, x1, _) = _free_side(page, shape)
    left = x0 >= shape[1] - x1
    return left, x0 if left else shape[1] - x1


def holes(img, page, rng):
    """Two to four holes punched for a binder down the sheet's left or right side (the one
    with more room beside the writing), the desk seen through them, dark or wood-brown: round,
    0.8 to 2 text heights across (6 mm holes beside writing 3 to 7 mm high); none where the
    margin is too narrow for them."""
    h, w = img.shape[:2]
    left, room = _side_room(page, img.shape)
    radius = int(_text_height(page) * rng.uniform(0.4, 1.0))
    if room < 2.4 * radius:
        return img
    x = int(room / 2 if left else w - room / 2)
    desk = np.array((40, 45, 50) if rng.random() < 0.5 else (60, 95, 140)) * rng.uniform(0.8, 1.2)
    out = img.copy()
    for y in np.linspace(0.15, 0.85, int(rng.integers(2, 5))):
        cv2.circle(out, (x, int(y * h)), radius, desk.tolist(), -1, cv2.LINE_AA)
    return out


def spiral(img, page, rng):
    """A notebook's spiral binding down the sheet's left or right side (the one with more
    room beside the writing): a hole 0.3 to 0.5 text heights across every 0.7 to 1 text
    heights, 1.25 to 2 hole widths from the sheet's edge, the desk dark through it, and a
    metal loop of wire from each hole over the edge (an arc, a light highlight along it).
    Only where the sheet fills the frame: on a table page its edge is not known, and the
    photo is left as it is."""
    h, w = img.shape[:2]
    text_h = _text_height(page)
    left, room = _side_room(page, img.shape)
    radius = text_h * rng.uniform(0.15, 0.25)
    cond = page.condition
    if (synth.CONDITIONS[cond] if isinstance(cond, str) else cond).table or room < 6 * radius:
        return img
    edge = 0 if left else w - 1
    inset = radius * rng.uniform(2.5, 4.0)
    x = int(inset if left else edge - inset)
    pitch = text_h * rng.uniform(0.7, 1.0)
    desk = (np.array((40, 45, 50)) * rng.uniform(0.8, 1.2)).tolist()
    metal = (np.array((150, 150, 155)) * rng.uniform(0.7, 1.1)).tolist()
    wire = max(1, int(round(text_h * 0.07)))
    axes = (int(abs(x - edge) / 2 + 2 * radius), int(radius * 1.6))
    out = img.copy()
    for y in np.arange(pitch / 2, h, pitch):
        cv2.circle(out, (x, int(y)), int(radius), desk, -1, cv2.LINE_AA)
        centre = (int((x + edge) / 2), int(y - radius / 2))
        cv2.ellipse(out, centre, axes, 0, 180, 360, metal, wire, cv2.LINE_AA)
        cv2.ellipse(out, centre, axes, 0, 180, 360, (230, 230, 230), max(1, wire // 3))
    return out


def _first_line(page: synth.SynthPage) -> tuple[np.ndarray, np.ndarray]:
    """The character boxes (x, y, w, h) of a page's first line and of the lines below it."""
    boxes = np.array(page.boxes, dtype=np.float64)  # one per character but spaces, in order
    count = len(page.lines[0].replace(" ", ""))
    return boxes[:count], boxes[count:]


def _dark_pen(img: np.ndarray, text_h: float, rng) -> tuple[list, int]:
    """A dark pen for lines drawn on a photo: 0.15-0.3 of its median colour, 0.06-0.1 text
    heights wide."""
    ink = np.percentile(img.reshape(-1, 3), 50, axis=0) * rng.uniform(0.15, 0.3)
    return ink.tolist(), max(1, int(round(text_h * rng.uniform(0.06, 0.1))))


def _around_first_line(img, page, rng) -> tuple:
    """The rectangle (``cv2.RotatedRect``) around the first line of writing, along its tilt,
    0.3 text heights from its letters or half the gap to the next line, whichever is less,
    and a ``_dark_pen`` for it: ``(rect, colour, width)``."""
    first, below = _first_line(page)
    text_h = _text_height(page)
    corners = np.concatenate(
        [first[:, :2] + first[:, 2:] * c for c in ((0, 0), (1, 0), (0, 1), (1, 1))]
    )
    (cx, cy), (w, h), angle = cv2.minAreaRect(corners.astype(np.float32))
    gap = below[:, 1].min() - (first[:, 1] + first[:, 3]).max() if len(below) else 2 * text_h
    pad = max(1.0, min(0.3 * text_h, gap / 2))
    ink, width = _dark_pen(img, text_h, rng)
    return ((cx, cy), (w + 2 * pad, h + 2 * pad), angle), ink, width


def boxed(img, page, rng):
    """A box drawn around the first line of writing (a form's field, a word boxed by hand),
    along the line's own tilt (``_around_first_line``): letters of the next line may touch
    it."""
    rect, ink, width = _around_first_line(img, page, rng)
    out = img.copy()
    corners = np.round(cv2.boxPoints(rect)).astype(np.int32)
    cv2.polylines(out, [corners], True, ink, width, cv2.LINE_AA)
    return out


def circled(img, page, rng):
    """An ellipse drawn around the first line of writing, as the box of ``boxed`` is, a tenth
    longer than that box: the line's first and last letters may cross it."""
    (centre, (w, h), angle), ink, width = _around_first_line(img, page, rng)
    out = img.copy()
    cv2.ellipse(out, (centre, (1.1 * w, h), angle), ink, width, cv2.LINE_AA)
    return out


def underline(img, page, rng):
    """A line drawn with a ``_dark_pen`` under the first line of writing, from its first
    letter to its last, along the line's tilt, 0.05 text heights into its letters to 0.15
    below them (on ruled paper, along the rule the letters stand on)."""
    boxes, _ = _first_line(page)
    text_h = _text_height(page)
    centres, bottoms = boxes[:, 0] + boxes[:, 2] / 2, boxes[:, 1] + boxes[:, 3]
    slope, base = np.polyfit(centres, bottoms, 1) if len(boxes) > 1 else (0.0, bottoms[0])
    base += np.max(bottoms - (slope * centres + base)) + text_h * rng.uniform(-0.05, 0.15)
    x0, x1 = boxes[:, 0].min(), (boxes[:, 0] + boxes[:, 2]).max()
    ends = [(int(x), int(round(slope * x + base))) for x in (x0, x1)]
    ink, width = _dark_pen(img, text_h, rng)
    out = img.copy()
    cv2.line(out, *ends, ink, width, cv2.LINE_AA)
    return out


def dashed(img, page, rng):
    """A form's dashed line to write on, printed under the first line of writing: dashes 0.3
    text heights long, 0.2 apart, 0.05 thick, dark grey (70 to 110), 0.05-0.15 text heights
    under the line's lowest letter, from 0.3 text heights before its first letter to as far
    after its last; letters that reach lower touch it."""
    boxes, _ = _first_line(page)
    text_h = _text_height(page)
    y = int((boxes[:, 1] + boxes[:, 3]).max() + text_h * rng.uniform(0.05, 0.15))
    x0, x1 = (
        int(boxes[:, 0].min() - 0.3 * text_h),
        int((boxes[:, 0] + boxes[:, 2]).max() + 0.3 * text_h),
    )
    dash, gap = max(2, int(0.3 * text_h)), max(2, int(0.2 * text_h))
    grey = (int(rng.uniform(70, 110)),) * 3
    out = img.copy()
    for x in range(x0, x1, dash + gap):
        cv2.line(out, (x, y), (min(x + dash, x1), y), grey, max(1, int(0.05 * text_h)), cv2.LINE_AA)
    return out


def crease(img, page, rng):
    """A fold across the sheet at any tilt (up to 45 degrees from level or from upright),
    lit from the side: a dark line 0.1 text heights wide, 15-35% under the paper's light,
    beside a light one, and the paper beyond the fold up to 10% darker."""
    h, w = img.shape[:2]
    width = max(2, int(0.1 * _text_height(page)))
    angle = np.deg2rad(rng.uniform(-45, 45) + (90 if rng.random() < 0.5 else 0))
    centre = np.array([rng.uniform(0.3, 0.7) * w, rng.uniform(0.3, 0.7) * h])
    along = np.array([np.cos(angle), np.sin(angle)]) * 2 * max(h, w)
    across = np.array([-np.sin(angle), np.cos(angle)])
    shade = np.zeros((h, w), np.float32)
    for offset, level in ((0, -rng.uniform(0.15, 0.35)), (width, 0.1)):
        ends = [tuple(int(v) for v in centre + offset * across + k * along) for k in (-1, 1)]
        cv2.line(shade, *ends, level, width, cv2.LINE_AA)
    shade = cv2.GaussianBlur(shade, (0, 0), width / 2)
    ys, xs = np.mgrid[:h, :w]
    beyond = (xs - centre[0]) * across[0] + (ys - centre[1]) * across[1] > 0
    shade -= beyond * np.float32(rng.uniform(0.0, 0.1))
    return np.clip(img.astype(np.float32) * (1 + shade[..., None]), 0, 255).astype(np.uint8)


def dot_grid(img, page, rng):
    """Dot-grid paper (a bullet journal's): grey dots 0.06-0.12 text heights across, 0.55-0.8
    of the paper's light, every 0.6-1 text heights along both axes of the photo, on the paper
    only (not on a desk in view); a ruled page is left as it is."""
    cond = page.condition
    if (synth.CONDITIONS[cond] if isinstance(cond, str) else cond).ruled:
        return img
    text_h = _text_height(page)
    pitch = text_h * rng.uniform(0.6, 1.0)
    radius = max(1, int(round(text_h * rng.uniform(0.03, 0.06))))
    light = img.mean(axis=2)
    paper = np.percentile(light, 90)
    grey = np.percentile(img.reshape(-1, 3), 50, axis=0) * rng.uniform(0.55, 0.8)
    out = img.copy()
    h, w = light.shape
    x0, y0 = rng.uniform(0, pitch, 2)
    for y in np.arange(y0, h, pitch):
        for x in np.arange(x0, w, pitch):
            if light[int(y), int(x)] > 0.6 * paper:
                cv2.circle(out, (int(x), int(y)), radius, grey.tolist(), -1, cv2.LINE_AA)
    return out


def none(img, page, rng):
    """The photo as generated."""
    return img


PROBES = {
    f.__name__: f
    for f in (none, bent, converging, keystone, motion, defocus, hard_shadow, glare)
    + (low_light, chalk, small, jpeg, motion_vertical, motion_diagonal, defocus_strong)
    + (defocus_lens, laptop, pen, fingers, holes, spiral, boxed, circled, underline, dashed)
    + (desk, highlight, crease, dot_grid)
}


def run_probe(
    recognizer, probe: str, pages: int, glyphs, changes: dict | None = None, bases: tuple = BASES
) -> dict:
    """Errors, characters and errors on the pages that are not ruled, for one probe.
    ``changes``: fields of the base conditions to set (``Condition``: ``lines`` and
    ``line_pitch`` for dense pages, ``pen_lift``, ``prose``, ``size`` and ``char_h`` for
    small text in a large photo, ``rotate`` for a photo held at a tilt); ``bases``: the
    conditions the pages cycle through (the errors on pages not ruled count those of other
    bases)."""
    alphabet = page_alphabet(recognizer.classifier.labels)
    errors = chars = unruled = 0
    for seed in range(pages):
        base = bases[seed % len(bases)]
        cond = dataclasses.replace(synth.CONDITIONS[base], **(changes or {}))
        page = synth.make_page(np.random.default_rng(seed), cond, glyphs, alphabet=alphabet)
        photo = PROBES[probe](page.image, page, np.random.default_rng(1000 + seed))
        d = edit_distance(recognizer.recognize(photo).text, page.text)
        errors, chars = errors + d, chars + len(page.text)
        unruled += d if base != "ruled" else 0
    return {"errors": errors, "chars": chars, "unruled_errors": unruled}


def _run(args: argparse.Namespace) -> int:
    from hwr_edge import Recognizer

    unknown = [p for p in args.probes if p not in PROBES]
    if unknown:
        print(f"error: unknown probe {unknown[0]!r} (choose from {', '.join(PROBES)})")
        return 2
    if args.pen_lift and args.glyphs != "strokes":
        print("error: --pen-lift draws the stroke font only (--glyphs strokes)")
        return 2
    changes = {"pen_lift": args.pen_lift, "prose": args.prose}
    if args.dense:
        changes |= {"lines": DENSE_LINES, "line_pitch": DENSE_PITCH}
    if args.char_h:
        changes["char_h"] = tuple(args.char_h)
    if args.size:
        changes["size"] = args.size
    if args.rotate is not None:
        changes["rotate"] = args.rotate
    recognizer = Recognizer(model=args.model, threads=1)
    glyphs = synth.DatasetGlyphs(cased=args.prose) if args.glyphs == "emnist" else args.glyphs
    print(f"| probe | pages | errors | CER {args.glyphs} | errors on pages not ruled | s |")
    print("|---|---:|---:|---:|---:|---:|")
    for probe in args.probes:
        t0 = time.perf_counter()
        r = run_probe(recognizer, probe, args.pages, glyphs, changes, args.bases)
        cer = 100 * r["errors"] / r["chars"]
        seconds = time.perf_counter() - t0
        row = [probe, args.pages, r["errors"], f"{cer:.1f}%", r["unruled_errors"], f"{seconds:.0f}"]
        print("| " + " | ".join(str(v) for v in row) + " |")
    return 0


def register(subparsers) -> None:
    """Add the ``stress`` subcommand."""
    p = subparsers.add_parser("stress", help="CER under photographic faults the benchmark lacks")
    p.add_argument("--pages", type=int, default=16, help="per probe: seeds 0..N-1")
    p.add_argument("--glyphs", choices=["strokes", "hershey", "type", "emnist"], default="strokes")
    p.add_argument("--probes", nargs="+", default=list(PROBES), help=", ".join(PROBES))
    p.add_argument(
        "--bases",
        nargs="+",
        default=list(BASES),
        metavar="NAME",
        choices=list(synth.CONDITIONS),
        help=f"conditions the pages cycle through (default: {' '.join(BASES)})",
    )
    p.add_argument("--model", default=None, help="model name or path (default: the default)")
    p.add_argument("--dense", action="store_true", help="pages of 10-14 lines, close together")
    p.add_argument(
        "--pen-lift",
        type=float,
        default=0.0,
        metavar="GAP",
        help="stroke font: strokes stop GAP capital heights short of each other (e.g. 0.08)",
    )
    p.add_argument(
        "--prose", action="store_true", help="lower-case words, some capitalized, a few numbers"
    )
    p.add_argument(
        "--char-h",
        type=int,
        nargs=2,
        metavar=("LO", "HI"),
        help="capital height in pixels, drawn from LO to HI (e.g. 24 36 with --size phone)",
    )
    p.add_argument(
        "--rotate",
        type=float,
        metavar="DEG",
        help="the text turned up to DEG degrees either way (the bases' own: 0-5)",
    )
    p.add_argument(
        "--size",
        choices=list(synth.SIZES),
        help="the photo's size (phone: 4032x3024) instead of the bases' own",
    )
    p.set_defaults(func=_run)
