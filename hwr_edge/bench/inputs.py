"""Inputs for ``hwr-edge bench``: character crops, a 640x480 stream frame, the example photos."""

from __future__ import annotations

from pathlib import Path

FRAME_LINES = ("HELLO EDGE 42", "PI 5 CAM 7")  # about 20 characters, as in the stream target
DEMO = "note.jpg"  # the README's demo photo
GLYPHS = "0123456789ABCDEFGHJKLMNPRSTUVWXYZ"


def sample_crops(n: int, seed: int = 0):
    """``n`` 28x28 uint8 crops of Hershey-font glyphs (bright ink on black), deterministic."""
    import cv2
    import numpy as np

    rng = np.random.default_rng(seed)
    crops = np.zeros((n, 28, 28), np.uint8)
    for i in range(n):
        glyph = GLYPHS[int(rng.integers(len(GLYPHS)))]
        thickness = int(rng.integers(2, 4))
        cv2.putText(crops[i], glyph, (6, 23), cv2.FONT_HERSHEY_SIMPLEX, 0.8, 255, thickness)
    return crops


def stream_frame(width: int = 640, height: int = 480):
    """A BGR frame of dark handwriting-like text on uneven paper, like one from a desk camera."""
    import cv2
    import numpy as np

    rng = np.random.default_rng(1)
    ramp = np.linspace(200, 235, width, dtype=np.float32)[None, :].repeat(height, axis=0)
    paper = ramp + rng.normal(0, 4, (height, width)).astype(np.float32)
    gray = np.clip(paper, 0, 255).astype(np.uint8)
    for row, text in enumerate(FRAME_LINES):
        origin = (40, 170 + row * 130)
        cv2.putText(gray, text, origin, cv2.FONT_HERSHEY_SCRIPT_SIMPLEX, 2.2, 40, 5, cv2.LINE_AA)
    return cv2.cvtColor(gray, cv2.COLOR_GRAY2BGR)


def example_photos(roots: list[Path]) -> list[Path]:
    """The ``examples/*.jpg`` photos of the first root that has any (cwd or checkout), the
    README's demo photo first (a --quick run and the cold start use only the first)."""
    for root in roots:
        photos = sorted((root / "examples").glob("*.jpg"), key=lambda p: (p.name != DEMO, p.name))
        if photos:
            return photos
    return []
