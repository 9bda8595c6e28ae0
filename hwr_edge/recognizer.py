"""The recognition pipeline: a photo in, a ``results.Page`` out.

    rec = Recognizer()                       # model loads lazily, once, on first use
    page = rec.recognize("photo.jpg")        # Page: .text, .lines[].words[].chars[]
    page, crops = rec.recognize_with_crops("photo.jpg")
    # crops[i] is the 28x28 uint8 model input (bright ink on black) of page.chars[i],
    # e.g. for ``hwr-edge recognize --save-crops``.

``Recognizer.recognize`` reads top to bottom:
load -> preprocess.ink_map -> segment.segment -> normalize every crop (whole glyphs and
touching-pair split parts) -> ONE batched classifier call -> charset mask -> per slot: keep the
split or the whole glyph by confidence -> reject low confidence -> optional context rule.
``timings_ms`` has load, preprocess, segment, infer (crop normalization + inference) and total.

A Recognizer holds no per-call state, so one instance may serve many threads at once.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import numpy as np

from hwr_edge import charset as charsets
from hwr_edge.defaults import CONTEXT, REJECT_CHAR, REJECT_THRESHOLD
from hwr_edge.imageio import load_image
from hwr_edge.normalize import normalize_crop
from hwr_edge.preprocess import ink_map
from hwr_edge.results import Char, Line, Page, Word
from hwr_edge.segment import segment

SPLIT_MARGIN = 0.05  # a split's least confident part must beat the whole glyph by this much


class Recognizer:
    """Handwriting photo -> Page. ``model``: manifest name, ``.onnx`` path, a loaded
    Classifier, or None for the default; ``charset``: ``digits|letters|upper|alnum`` or
    explicit characters; ``threads``: onnxruntime threads; characters whose confidence is
    below ``reject_threshold`` become ``reject_char``; ``context`` applies the O/0-style
    word rule; each Char carries its ``topk`` alternatives."""

    def __init__(
        self,
        model=None,
        charset: str | None = None,
        threads: int | None = None,
        reject_threshold: float = REJECT_THRESHOLD,
        reject_char: str = REJECT_CHAR,
        context: bool = CONTEXT,
        topk: int = 3,
    ):
        self.model = model
        self.charset = charset
        self.threads = threads
        self.reject_threshold = reject_threshold
        self.reject_char = reject_char
        self.context = context
        self.topk = topk
        self._lock = threading.Lock()
        self._classifier = None
        self._mask = None

    @property
    def classifier(self):
        """The classifier, loaded on first use (once, even under concurrent calls)."""
        with self._lock:
            if self._classifier is None:
                self._classifier, self._mask = self._load()
        return self._classifier

    def _load(self):
        from hwr_edge.classifier import Classifier, load_model

        if isinstance(self.model, Classifier):
            clf = self.model
        else:
            clf = load_model(self.model, threads=self.threads, charset=self.charset)
        return clf, charsets.charset_mask(self.charset, clf.labels)

    def recognize(self, image, name: str | None = None) -> Page:
        """Recognize one image (path, encoded bytes, or BGR/gray array)."""
        return self.recognize_with_crops(image, name)[0]

    def recognize_with_crops(self, image, name: str | None = None) -> tuple[Page, list]:
        """Like ``recognize``; also returns each recognized Char's 28x28 model input."""
        clf = self.classifier
        t0 = time.perf_counter()
        bgr = load_image(image)
        t1 = time.perf_counter()
        ink = ink_map(bgr)
        t2 = time.perf_counter()
        lines = segment(ink)
        t3 = time.perf_counter()
        slots = [slot for words in lines for word in words for slot in word]
        glyphs = [g for slot in slots for g in (slot.glyph, *slot.split)]
        crops = np.stack([normalize_crop(g.crop, clf.convention) for g in glyphs] or [_empty(clf)])
        probs = clf.predict_proba(crops[: len(glyphs)]) if glyphs else np.zeros((0, 1))
        if self._mask is not None:
            probs = probs * self._mask
        t4 = time.perf_counter()
        order = np.argsort(-probs, axis=1)[:, : self.topk]
        top = np.take_along_axis(probs, order, axis=1)
        best = top[:, 0].tolist() if len(top) else []
        alternatives = [
            [(clf.labels[i], p) for i, p in zip(o, q, strict=True)]
            for o, q in zip(order.tolist(), top.tolist(), strict=True)
        ]
        page_lines, kept_crops, row = [], [], 0
        for words in lines:
            out_words = []
            for word in words:
                chars = []
                for slot in word:
                    n = 1 + len(slot.split)
                    for i in self._choose(best[row : row + n]):
                        glyph = slot.glyph if i == 0 else slot.split[i - 1]
                        chars.append(self._char(glyph.box, alternatives[row + i]))
                        kept_crops.append(crops[row + i])
                    row += n
                out_words.append(Word(self._apply_context(chars)))
            page_lines.append(Line(out_words))
        t5 = time.perf_counter()
        timings = {
            "load": t1 - t0,
            "preprocess": t2 - t1,
            "segment": t3 - t2,
            "infer": t4 - t3,
            "total": t5 - t0,
        }
        page = Page(
            lines=page_lines,
            image=_name(image, name),
            size=(int(bgr.shape[1]), int(bgr.shape[0])),
            timings_ms={k: v * 1000.0 for k, v in timings.items()},
            model=dict(clf.info),
        )
        return page, kept_crops

    def _choose(self, best: list[float]) -> list[int]:
        """Which hypotheses of a slot to read, from each one's best probability: [0] (the
        whole glyph) or the split parts, when every part is confident and beats the whole."""
        if len(best) == 1:
            return [0]
        parts = min(best[1:])
        if parts > best[0] + SPLIT_MARGIN and parts >= self.reject_threshold:
            return list(range(1, len(best)))
        return [0]

    def _char(self, box, alternatives: list[tuple[str, float]]) -> Char:
        """One Char: best allowed class, or the reject character below the threshold."""
        label, conf = alternatives[0]
        if conf < self.reject_threshold:
            label = self.reject_char
        return Char(label, conf, box, alternatives)

    def _apply_context(self, chars: list[Char]) -> list[Char]:
        """The optional O/0, I/1, S/5, Z/2, B/8 word rule (rejected characters untouched)."""
        if not self.context or not chars:
            return chars
        text = charsets.apply_context(
            "".join(c.char for c in chars), [c.alternatives for c in chars]
        )
        for c, new in zip(chars, text, strict=True):
            if c.char != self.reject_char:
                c.char = new
        return chars


def _empty(clf) -> np.ndarray:
    size = clf.convention.size
    return np.zeros((size, size), np.uint8)


def _name(image, name: str | None) -> str:
    """The name a Page reports: the given one, a path's text, or a placeholder."""
    if name is not None:
        return name
    if isinstance(image, str | os.PathLike | Path):
        return str(image)
    return "<array>" if isinstance(image, np.ndarray) else "<bytes>"
