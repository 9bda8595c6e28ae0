"""Temporal stabilization: a majority vote over the last K recognized frames.

A frame's reading is voted in three levels, each over the whole window of K frames:

1. the number of lines: the most common count must be held by more than K/2 frames;
2. per line, its word structure (the tuple of word lengths): again more than K/2 frames;
3. per character position, among the frames that agree on that structure: the stable
   character stays until another one is read by more than K/2 frames, and the reject
   character (an unreadable glyph) never replaces a reading (hysteresis: a glyph read
   half the time as ``R`` and half as ``?`` does not flicker); a new position takes the
   most common character. Its confidence is the mean confidence of the frames that read
   it, its box the newest.

When a level has no majority the stable reading does not change, so camera noise that
flips one frame now and then never reaches the output, and a real change is reported
once, after K//2 + 1 frames have shown it.
"""

from __future__ import annotations

from collections import Counter, deque

from hwr_edge.results import Char, Line, Page, Word


def _structure(line: Line) -> tuple[int, ...]:
    return tuple(len(w.chars) for w in line.words)


def _vote(values: list, previous, window: int, reject: str):
    """``previous`` unless another readable value holds a majority of ``window``; with no
    previous value, the most common one (ties: the newest)."""
    if previous is not None:
        winner = _majority(values, window)
        return winner if winner is not None and winner != reject else previous
    counts = Counter(values)
    best = max(counts.values())
    return next(v for v in reversed(values) if counts[v] == best)


def _majority(values: list, window: int):
    """The value held by more than ``window``/2 entries of ``values``, else None."""
    if not values:
        return None
    value, count = Counter(values).most_common(1)[0]
    return value if 2 * count > window else None


class Stabilizer:
    """Feeds recognized pages one by one; ``update`` returns the new stable lines on change."""

    def __init__(self, window: int, reject_char: str = "?") -> None:
        if window < 1:
            raise ValueError("the stabilization window must be at least 1 frame")
        self.window = window
        self.reject_char = reject_char
        self.pages: deque[Page] = deque(maxlen=window)
        self.lines: list[Line] = []
        self.texts: list[str] = []

    def update(self, page: Page) -> list[Line] | None:
        """Adds ``page`` to the window; returns the stable lines if the stable text changed."""
        self.pages.append(page)
        lines = self._voted_lines()
        if lines is None:
            return None
        texts = [line.text for line in lines]
        self.lines = lines
        if texts == self.texts:
            return None
        self.texts = texts
        return lines

    @property
    def text(self) -> str:
        """The current stable text, lines joined by newlines."""
        return "\n".join(self.texts)

    def _voted_lines(self) -> list[Line] | None:
        count = _majority([len(p.lines) for p in self.pages], self.window)
        if count is None:
            return None
        pages = [p for p in self.pages if len(p.lines) == count]
        lines = []
        for i in range(count):
            line = self._voted_line([p.lines[i] for p in pages], i)
            if line is None:
                return None
            lines.append(line)
        return lines

    def _voted_line(self, candidates: list[Line], index: int) -> Line | None:
        structure = _majority([_structure(line) for line in candidates], self.window)
        if structure is None:
            return None
        agreeing = [line for line in candidates if _structure(line) == structure]
        previous = self.lines[index] if index < len(self.lines) else None
        if previous is not None and _structure(previous) != structure:
            previous = None
        newest = agreeing[-1]
        words = []
        for w, word in enumerate(newest.words):
            chars = []
            for c, char in enumerate(word.chars):
                seen = [line.words[w].chars[c] for line in agreeing]
                before = previous.words[w].chars[c].char if previous is not None else None
                label = _vote([s.char for s in seen], before, self.window, self.reject_char)
                confidences = [s.confidence for s in seen if s.char == label]
                if confidences:
                    confidence = sum(confidences) / len(confidences)
                else:  # kept by hysteresis although no frame in the window reads it
                    confidence = previous.words[w].chars[c].confidence
                chars.append(Char(label, confidence, char.box))
            words.append(Word(chars))
        return Line(words)
