"""Draw a recognition result on its image: line boxes, character boxes and labels."""

from __future__ import annotations

import cv2
import numpy as np

from hwr_edge.results import Page

LINE_COLOR = (255, 128, 0)  # BGR: blue
CHAR_COLOR = (0, 170, 0)  # green: confident
LOW_COLOR = (0, 140, 255)  # orange: below ``low_confidence``
REJECT_COLOR = (0, 0, 230)  # red: the reject character


def annotate(
    image_bgr: np.ndarray,
    page: Page,
    low_confidence: float = 0.5,
    reject_char: str = "?",
) -> np.ndarray:
    """A copy of ``image_bgr`` with each line's box and each character's box and label."""
    out = np.ascontiguousarray(image_bgr.copy())
    if out.ndim == 2:
        out = cv2.cvtColor(out, cv2.COLOR_GRAY2BGR)
    thick = max(1, round(max(out.shape[:2]) / 600))
    for line in page.lines:
        if line.words:
            _rect(out, line.box, LINE_COLOR, thick, pad=2 * thick)
    for char in page.chars:
        if char.char == reject_char:
            color = REJECT_COLOR
        elif char.confidence < low_confidence:
            color = LOW_COLOR
        else:
            color = CHAR_COLOR
        _rect(out, char.box, color, thick)
        _label(out, char.char, char.box, color, thick)
    return out


def _rect(image: np.ndarray, box, color, thick: int, pad: int = 0) -> None:
    x, y, w, h = (int(v) for v in box)
    cv2.rectangle(image, (x - pad, y - pad), (x + w + pad, y + h + pad), color, thick)


def _label(image: np.ndarray, text: str, box, color, thick: int) -> None:
    """Write ``text`` just above ``box`` (inside the image), scaled to the box height."""
    x, y, _, h = (int(v) for v in box)
    scale = float(np.clip(h / 40.0, 0.4, 2.0))
    (_, th), base = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, scale, thick)
    ty = y - 3 if y - th - 3 >= 0 else min(image.shape[0] - base, y + h + th + 3)
    cv2.putText(image, text, (x, ty), cv2.FONT_HERSHEY_SIMPLEX, scale, color, thick, cv2.LINE_AA)
