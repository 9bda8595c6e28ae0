"""Typed recognition results: Page -> Line -> Word -> Char, each with ``to_dict()``."""

from __future__ import annotations

from dataclasses import dataclass, field

Box = tuple[int, int, int, int]  # x, y, w, h in original-image pixels


def union_box(boxes: list[Box]) -> Box:
    """Smallest box that holds all ``boxes``."""
    x0 = min(b[0] for b in boxes)
    y0 = min(b[1] for b in boxes)
    x1 = max(b[0] + b[2] for b in boxes)
    y1 = max(b[1] + b[3] for b in boxes)
    return (x0, y0, x1 - x0, y1 - y0)


@dataclass
class Char:
    """One recognized character; ``alternatives`` holds the top-k (char, confidence) pairs;
    ``blob``: rejected for its shape (a blob, a dash, a full stop), not by its reading."""

    char: str
    confidence: float
    box: Box
    alternatives: list[tuple[str, float]] = field(default_factory=list)
    blob: bool = False

    def to_dict(self) -> dict:
        return {
            "char": self.char,
            "confidence": round(float(self.confidence), 4),
            "box": [int(v) for v in self.box],
            "alternatives": [[c, round(float(p), 4)] for c, p in self.alternatives],
        }


@dataclass
class Word:
    chars: list[Char]

    @property
    def text(self) -> str:
        return "".join(c.char for c in self.chars)

    @property
    def box(self) -> Box:
        return union_box([c.box for c in self.chars])

    def to_dict(self) -> dict:
        return {
            "text": self.text,
            "box": [int(v) for v in self.box],
            "chars": [c.to_dict() for c in self.chars],
        }


@dataclass
class Line:
    words: list[Word]

    @property
    def text(self) -> str:
        return " ".join(w.text for w in self.words)

    @property
    def box(self) -> Box:
        return union_box([w.box for w in self.words])

    def to_dict(self) -> dict:
        return {
            "text": self.text,
            "box": [int(v) for v in self.box],
            "words": [w.to_dict() for w in self.words],
        }


@dataclass
class Page:
    """Result of one recognition: lines top to bottom, with per-stage timings in ms."""

    lines: list[Line]
    image: str = ""
    size: tuple[int, int] = (0, 0)  # width, height of the (EXIF-rotated) input
    timings_ms: dict[str, float] = field(default_factory=dict)
    model: dict = field(default_factory=dict)

    @property
    def text(self) -> str:
        return "\n".join(line.text for line in self.lines)

    @property
    def chars(self) -> list[Char]:
        return [c for line in self.lines for w in line.words for c in w.chars]

    def to_dict(self) -> dict:
        return {
            "image": self.image,
            "text": self.text,
            "lines": [line.to_dict() for line in self.lines],
            "timings_ms": {k: round(float(v), 3) for k, v in self.timings_ms.items()},
            "model": self.model,
        }

    export = to_dict
