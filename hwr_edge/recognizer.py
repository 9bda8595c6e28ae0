"""The recognition pipeline: a photo in, a ``results.Page`` out.

    rec = Recognizer()                       # model loads lazily, once, on first use
    page = rec.recognize("photo.jpg")        # Page: .text, .lines[].words[].chars[]
    page, crops = rec.recognize_with_crops("photo.jpg")
    # crops[i] is the 28x28 uint8 model input (bright ink on black) of page.chars[i],
    # e.g. for ``hwr-edge recognize --save-crops``.

``Recognizer.recognize`` reads top to bottom:
load -> preprocess.ink_map -> segment.segment -> normalize every crop (whole glyphs and the
split pieces of wide ones) -> ONE batched classifier call for all of them -> one more, more
blurred, for the crops it was unsure of (``_second_look``) -> a glyph too narrow to be cut
at once that reads as touching characters whole is cut, and its pieces read
(``_cut_touching``) -> charset mask -> g/q that do not reach below the baseline become 9
(``baseline.positions``) -> the digits model's batched call on the crops that may be digits
the classifier is unsure of, which digit they read as shared by the two (``digits.py``; the
readings only: the choices below between whole glyphs and pieces weigh the classifier's own
probabilities) -> per slot: the whole glyph or a chain of pieces (below) -> reject
low confidence and what no class can be (what the model's own "not a character" class wins,
when it has one; blobs: strokes wider than ``BLOB_STROKE`` of their size; glyphs shorter
than ``SHORT_GLYPH`` of their line, such as dashes) -> optional context rule (each word read
as letters, digits or a code; one case) -> optional lexicon (``lexicon.py``: a word split by
a wide gap joined) -> with the context rule, a word of one letter that is no word read as its
digit (``charset.lone_letter``) -> optional lexicon (a misread word of letters becomes the
word it nearly is).
A dark photo whose light is thin strokes (chalk on a board, ``InkImage.light_strokes``) is
read again inverted, and that reading is kept when it is ``INVERT_MARGIN`` surer. A photo
whose strokes have soft edges (out of focus or shaken, ``InkImage.soft_edge`` at least
``SOFT_EDGE`` pixels) is read again sharpened around its text (``sharpen.sharpened``: an
unsharp mask every way, and deconvolved along the straight shake its spectrum shows), and the
most confident reading is kept. An empty reading, or one under ``LARGE_DOUBT`` mean
confidence, of a photo with a dark mark (``preprocess.has_dark_mark``: a blank frame has
none) is read again as text that fills the frame (one large character whose strokes, wider
than the background estimate, came out as hollow outlines and noise, or not at all), and
that reading is kept when it is surer and has no more characters. A page
whose glyphs run in columns (a photo stored sideways without an EXIF tag, ``orientation.sideways``)
is read again turned a quarter each way, and the most confident of the three readings is
kept, its boxes mapped back to the photo's pixels; one whose lines slope
``orientation.TILTED`` degrees or more is read again levelled, and that reading is kept when
it is ``LEVEL_MARGIN`` surer, its boxes mapped back the same way.
``timings_ms`` has load, preprocess, segment, infer (crop normalization + inference) and total
(the stages summed over all the readings of a photo read more than once).

Touching characters. A wide glyph comes with pieces between cut candidates (``segment``), and
``chains.best_chain`` reads it whole or as a chain of pieces, scored by their log-odds and
widths (``chains`` says how). In effect a glyph read with full confidence is split only when
0.7 typical widths wider than its class may be. A model
with a "touching characters" class (the default one) also says when a glyph is several
letters: that class and "not a character" together make the whole glyph a reject, so a chain
of confident pieces wins however narrow the glyph; and a glyph between ``TOUCHING_WIDTH`` and
``SPLIT_WIDTH`` typical widths, which comes without pieces, is cut only when that class wins
it (cutting all of them, or all the rejects, read single letters as two). Constants chosen
on synthetic pages of their own (docs/results-accuracy.md, "Touching characters"). With the
context rule on, a wide glyph read as a letter beside characters that are surely digits is
read again as digits (``Recognizer._chains``): touching digits read whole as a confident
letter ("17" as an M) come apart. With a lexicon, a word of three letters or more that is
no word of it (nor one change or two from one) is read with one glyph's pieces chosen
otherwise when that spells a lexicon word and scores at most ``LEXICON_CUT`` below the
glyph's own reading (``Recognizer._lexicon_chains``): "BRD" -> "BIRD", "ROG" -> "FROG".

Pieces a pen lift left apart. Neighbouring glyphs of a word that may be one character's
pieces side by side (an H's bar short of its stems; ``segment``, a "joined" slot) are read
each alone and together (``chains.best_join``): their union wins only when it beats them by
``chains.JOIN_COST`` for each glyph it takes in. A speck a broken stroke left beside its
letter is such a glyph too; being no character (a reject read alone), it adds nothing, so
the letter takes it in when it reads almost as well with it.

A Recognizer holds no per-call state, so one instance may serve many threads at once.
"""

from __future__ import annotations

import functools
import os
import statistics
import threading
import time
from pathlib import Path
from typing import NamedTuple

import cv2
import numpy as np

from hwr_edge import charset as charsets
from hwr_edge.baseline import positions
from hwr_edge.chains import best_chain, chain_score, logit, piece_terms, slot_chains
from hwr_edge.classifier import NON_CHARACTERS, NOT_A_CHARACTER, TOUCHING_CHARACTERS
from hwr_edge.defaults import (
    CONTEXT,
    DIGIT_OPINION,
    LEXICON,
    REJECT_CHAR,
    REJECT_THRESHOLD,
    TOPK,
)
from hwr_edge.digits import digit_opinion
from hwr_edge.errors import PageError
from hwr_edge.imageio import load_photo
from hwr_edge.lexicon import MAX_CHANGES, MIN_LETTERS, letter_options, load_lexicon
from hwr_edge.normalize import ink_mask, normalize_mask, stroke_width
from hwr_edge.orientation import (
    QUARTER_TURNS,
    TILTED,
    level_back,
    levelled,
    sideways,
    tilt,
    turn_back,
)
from hwr_edge.preprocess import has_dark_mark, ink_map
from hwr_edge.results import Char, Line, Page, Word
from hwr_edge.segment import segment
from hwr_edge.shapes import amend_styles
from hwr_edge.sharpen import sharpened

# a glyph read as a letter beside characters that are surely digits is read again as digits
# only when the classifier gives it less than this as a digit (a 6 read as G with 6 at 0.2-0.4
# is one digit; touching digits read as one letter have digits at 0.04 or less), and only by a
# chain of digits scoring above KIND_FLOOR
KIND_MAX = 0.1
KIND_FLOOR = 0.0
# a word of letters that is no word of the lexicon is read with one of its glyphs split or
# joined otherwise when that spells a lexicon word (at most LEXICON_CUT_CHANGES letters changed)
# and scores at most LEXICON_CUT below the glyph's own reading (log-odds; on the benchmark's
# pages the readings it mended lost 0.1-4.2 and a random string, "MSK" -> "TASK", 5.5)
LEXICON_CUT = 4.5
LEXICON_CUT_CHANGES = 1
BLOB_STROKE = 0.3  # a glyph whose mean stroke is wider than this part of its size is a blob
# a letter under this part of its line's tall ones' height (both less the pen's width) is
# x-height: handwriting's x-height is about 0.6 of its capitals, which vary in height by a
# tenth or more (0.8 read the benchmark's Hershey capitals, a fifth apart in one word, as
# lower case; 0.66 lost the stroke font's lower case, x-height 0.67: docs/results-accuracy.md)
X_HEIGHT = 0.75
SHORT_GLYPH = 0.33  # a glyph shorter than this part of its line's median height is no character
SECOND_LOOK = 0.9  # a crop read with a lower best probability is read again, more blurred,
SECOND_BLUR = 1.25  # by a Gaussian of this many times the convention's blur (0.5 -> 0.8 in all)
TURN_MARGIN = 0.05  # a page taken for sideways is read as it lies when that is this much surer
# a tilted page's levelled reading is kept when it is this much surer (on pages turned up to 10
# degrees the two readings' mean confidences differ by about 0.01 either way, and the levelled
# one reads no better: docs/results-accuracy.md)
LEVEL_MARGIN = 0.02
THIN_LIGHT = 0.02  # a dark photo with this part of its light in thin strokes is read inverted too
INVERT_MARGIN = 0.05  # ... and that reading is kept when it is this much surer
SOFT_EDGE = 1.7  # strokes with soft edges this many pixels wide are read sharpened too
# a reading less sure than this on average may be one large character's strokes read as
# hollow outlines and noise: the photo is read again as text that fills the frame (when it
# holds a dark mark, ``preprocess.has_dark_mark``)
LARGE_DOUBT = 0.5
TIMINGS = ("load", "preprocess", "segment", "infer", "total")  # a Page's timings_ms, in order


class Recognizer:
    """Handwriting photo -> Page. ``model``: manifest name, ``.onnx`` path, a loaded
    Classifier, or None for the default; ``charset``: ``digits|letters|upper|alnum`` or
    explicit characters; ``threads``: onnxruntime threads; characters whose confidence is
    below ``reject_threshold`` become ``reject_char``; ``context`` reads each word as
    letters, digits or a code and in one case; ``lexicon`` (a bundled name such as "english",
    a word file, or None) turns a misread word of letters into the lexicon word it nearly is
    (with ``context`` only); each Char carries its ``topk`` alternatives; ``digit_opinion``
    asks the manifest's digits model which digit a character read as one is
    (``digits.DigitOpinion``)."""

    def __init__(
        self,
        model=None,
        charset: str | None = None,
        threads: int | None = None,
        reject_threshold: float = REJECT_THRESHOLD,
        reject_char: str = REJECT_CHAR,
        context: bool = CONTEXT,
        topk: int = TOPK,
        lexicon: str | os.PathLike | None = LEXICON,
        digit_opinion: bool = DIGIT_OPINION,
    ):
        self.model = model
        self.charset = charset
        self.threads = threads
        self.reject_threshold = reject_threshold
        self.reject_char = reject_char
        self.context = context
        self.topk = topk
        self.lexicon = lexicon
        self.digit_opinion = digit_opinion
        self._lock = threading.Lock()
        self._classifier = None
        self._transfer = None
        self._no_descent = None
        self._digits = None
        self._lexicon = None

    @property
    def classifier(self):
        """The classifier, loaded on first use (once, even under concurrent calls)."""
        with self._lock:
            if self._classifier is None:
                self._lexicon = load_lexicon(self.lexicon)
                loaded = self._load()
                self._classifier, self._transfer, self._no_descent, self._digits = loaded
        return self._classifier

    def _load(self):
        from hwr_edge.classifier import Classifier, load_model

        if isinstance(self.model, Classifier):
            clf = self.model
        else:
            clf = load_model(self.model, threads=self.threads, charset=self.charset)
        allowed = charsets.charset_mask(self.charset, clf.labels)
        return (
            clf,
            charsets.charset_transfer(self.charset, clf.labels),
            charsets.descender_transfer(clf.labels, allowed),
            digit_opinion(clf, allowed, clf.threads) if self.digit_opinion else None,
        )

    def recognize(self, image, name: str | None = None) -> Page:
        """Recognize one image (path, encoded bytes, or BGR/gray array)."""
        return self.recognize_with_crops(image, name)[0]

    def recognize_with_crops(self, image, name: str | None = None) -> tuple[Page, list]:
        """Like ``recognize``; also returns each recognized Char's 28x28 model input."""
        clf = self.classifier
        t0 = time.perf_counter()
        photo = load_photo(image)
        timings = dict.fromkeys(("preprocess", "segment", "infer"), 0.0)
        timings["load"] = time.perf_counter() - t0
        try:
            page_lines, kept_crops = self._best_reading(clf, photo, timings)
        except PageError as exc:
            raise PageError(f"{_name(image, name)}: {exc}") from None
        timings["total"] = time.perf_counter() - t0
        model = dict(clf.info)
        if self._digits is not None:
            model["digit_model"] = self._digits.digits.info["name"]
        page = Page(
            lines=page_lines,
            image=_name(image, name),
            size=photo.size,
            timings_ms={k: timings[k] * 1000.0 for k in TIMINGS},
            model=model,
        )
        return page, kept_crops

    def _best_reading(self, clf, photo, timings: dict) -> tuple[list, list]:
        """Lines and crops of the most confident reading of a loaded photo: as it lies,
        inverted (chalk on a board?), sharpened (blurred?), turned a quarter (sideways?). A
        photo whose marks of ink are texture, not a page (too many, or lined up in no
        direction: ``PageError``), is read inverted instead when it may be light strokes on a
        dark ground (a board's grain breaks into thousands); other texture or noise fails."""
        try:
            first = self._read(clf, photo.image, photo.colour, timings)
        except PageError as exc:
            if exc.light_strokes < THIN_LIGHT:  # texture, not a dark board's grain
                raise
            image, colour = _inverted(photo)
            best = (image, colour, self._read(clf, image, colour, timings))
        else:
            best = (photo.image, photo.colour, first)
            if first[2].light_strokes >= THIN_LIGHT:  # chalk on a board? read it inverted too
                best = self._surest(clf, best, [_inverted(photo)], timings, INVERT_MARGIN)
        pixels, colour, (page_lines, kept_crops, ink) = best
        if ink.soft_edge >= SOFT_EDGE and ink.boxes is not None:  # blurred? read it sharpened too
            best = self._surest(clf, best, [(s, colour) for s in sharpened(pixels, ink)], timings)
        pixels, colour, (page_lines, kept_crops, ink) = best
        doubt = _mean_confidence(page_lines) < LARGE_DOUBT
        if doubt and has_dark_mark(pixels):  # nothing, or doubt: one large character?
            best = self._as_large_text(clf, best, timings)
        pixels, colour, (page_lines, kept_crops, ink) = best
        if ink.boxes is not None and sideways(ink.boxes):
            return self._turned(clf, pixels, colour, page_lines, kept_crops, timings)
        degrees = tilt(page_lines)
        if abs(degrees) >= TILTED:
            return self._levelled(clf, pixels, colour, degrees, page_lines, kept_crops, timings)
        return page_lines, kept_crops

    def _surest(self, clf, best: tuple, photos: list, timings: dict, margin: float = 0.0):
        """The most confident of ``best`` (``(image, colour, reading)``) and the readings of
        ``photos`` (``(image, colour)`` pairs, read in turn), a new reading winning only when
        it is ``margin`` surer than the best so far; one whose marks of ink are texture, not a
        page (sharpening can raise a grainy ground into thousands), is no candidate."""
        for image, colour in photos:
            try:
                reading = self._read(clf, image, colour, timings)
            except PageError:
                continue
            if _mean_confidence(reading[0]) > _mean_confidence(best[2][0]) + margin:
                best = (image, colour, reading)
        return best

    def _as_large_text(self, clf, best: tuple, timings: dict) -> tuple:
        """``best`` (``(image, colour, reading)``), or its photo read as text that fills the
        frame when that reads no more characters (one where ``best`` read none), more surely
        (and at ``LARGE_DOUBT`` or more where ``best`` read none): a large character whose
        strokes came out as hollow outlines reads as many marks at little confidence, or as
        none, while a page of small doubtful writing read so gains marks (a glare's rim in a
        12 MP photo) and a blank page keeps its nothing."""
        image, colour, (lines, _, _) = best
        try:
            reading = self._read(clf, image, colour, timings, fills_frame=True)
        except PageError:  # marks of ink that are texture, not a page: no candidate
            return best
        count, sure = _char_count(lines), _mean_confidence(lines)
        fewer = _char_count(reading[0]) <= max(count, 1)
        if fewer and _mean_confidence(reading[0]) > max(sure, LARGE_DOUBT if count == 0 else 0.0):
            return image, colour, reading
        return best

    def _turned(self, clf, image, colour, page_lines: list, crops: list, timings: dict):
        """Lines and crops of a photo whose text runs up or down it (stored sideways without
        an EXIF tag): the photo is read turned a quarter each way, and the reading with the
        highest mean confidence wins, the photo as it lies only by ``TURN_MARGIN`` (turned
        letters break into pieces that can read as confidently as whole ones); boxes stay in
        the photo's own pixels."""
        best = (_mean_confidence(page_lines) - TURN_MARGIN, page_lines, crops)
        for turn in QUARTER_TURNS:
            lines, kept, _ = self._read(
                clf, cv2.rotate(image, turn), cv2.rotate(colour, turn), timings
            )
            confidence = _mean_confidence(lines)
            if confidence > best[0]:
                best = (confidence, lines, kept)
                _boxes_back(lines, lambda box, turn=turn: turn_back(box, turn, image.shape))
        return best[1], best[2]

    def _levelled(
        self, clf, image, colour, degrees: float, page_lines: list, crops: list, timings: dict
    ):
        """Lines and crops of a photo whose lines slope ``degrees`` (``orientation.TILTED`` or
        more): the photo is read again levelled, and that reading wins when it is
        ``LEVEL_MARGIN`` surer; boxes stay in the photo's own pixels."""
        flat, back = levelled(image, degrees)
        try:
            lines, kept, _ = self._read(clf, flat, levelled(colour, degrees)[0], timings)
        except PageError:  # marks of ink that are texture, not a page: no candidate
            return page_lines, crops
        if _mean_confidence(lines) <= _mean_confidence(page_lines) + LEVEL_MARGIN:
            return page_lines, crops
        _boxes_back(lines, lambda box: level_back(box, back, image.shape))
        return lines, kept

    def _read(
        self, clf, image: np.ndarray, colour: np.ndarray, timings: dict, fills_frame: bool = False
    ):
        """Lines, each Char's model input and the ink map of a photo as it lies (``fills_frame``:
        read as text that fills the frame); adds the seconds each stage took to ``timings``."""
        t1 = time.perf_counter()
        ink = ink_map(image, colour, fills_frame)
        t2 = time.perf_counter()
        lines = segment(ink)
        t3 = time.perf_counter()
        slots = [slot for words in lines for word in words for slot in word]
        masks, crops, probs = _read_pieces(clf, [piece for slot in slots for piece in slot.pieces])
        lines, slots, masks, crops, probs = _cut_touching(clf, lines, slots, masks, crops, probs)
        probs, unknown = split_unknown(probs, clf.labels)
        probs = amend_styles(probs, masks, clf.labels)
        if self._transfer is not None:
            probs = probs @ self._transfer
        low, rise = positions(lines) if masks else (np.zeros(0, bool), np.zeros(0))
        if self._no_descent is not None and masks:
            probs[~low] = probs[~low] @ self._no_descent
        plain = probs  # the main model's own: what the split and join decisions weigh
        if self._digits is not None:
            probs = self._digits.apply(plain, masks)
        t4 = time.perf_counter()
        ranked = _Ranked.of(probs, clf.labels, self.topk, self.context)
        first = ranked.order[:, 0] if probs is plain else plain.argmax(axis=1)
        shape = _shape_confidence(plain, first, clf.labels)
        blobs = _not_characters(lines, masks)
        shape[blobs | unknown] = 0.0
        best = [clf.labels[i] for i in first.tolist()]
        terms = piece_terms(slots, shape, best)
        digit_terms = evidence = None  # for _chains: only pages with a glyph cut into pieces
        if self.context and any(len(slot.pieces) > 1 and not slot.joined for slot in slots):
            digit_terms = piece_terms(slots, *_digit_confidence(plain, clf.labels, shape == 0))
            own = ranked if probs is plain else _Ranked.of(plain, clf.labels, self.topk, True)
            evidence = [
                [*a, *k] if s >= self.reject_threshold else None
                for a, k, s in zip(own.alternatives, own.kinds, shape.tolist(), strict=True)
            ]
        readings = _Readings(
            ranked.alternatives, ranked.kinds, blobs, unknown, rise < X_HEIGHT, low
        )
        page_lines, kept_crops, row, labels = [], [], 0, set(clf.labels)
        for words in lines:
            out_words = []
            for word in words:
                spell = functools.partial(
                    self._spell, word, row, readings, clf.labels, word is not words[0]
                )
                chains = self._chains(word, row, terms, digit_terms, best, evidence)
                spelled, rows = self._lexicon_chains(word, row, terms, chains, spell)
                out_words.append(spelled)
                kept_crops.extend(crops[r] for r in rows)
                row += sum(len(slot.pieces) for slot in word)
            out_words = [self._lone_letter(w) for w in self._join_split_words(out_words)]
            page_lines.append(Line([Word(self._apply_lexicon(w.chars, labels)) for w in out_words]))
        timings["preprocess"] += t2 - t1
        timings["segment"] += t3 - t2
        timings["infer"] += t4 - t3
        return page_lines, kept_crops, ink

    def _chains(self, word, row: int, terms, digit_terms, best: list, evidence: list):
        """Per slot of ``word`` (its first piece at batch row ``row``), the pieces that read
        it (``chains.best_chain``). Then, with the context rule on (``digit_terms``: the pieces'
        terms as digits; ``evidence``: each row's alternatives for ``charset.sure_kind``,
        None for a reject), a glyph with pieces read (in whole or in part) as a letter
        beside characters that are surely digits, as no more characters than they are, and
        as a digit at less than ``KIND_MAX``, is read as digits: a chain of digits of at
        most one character more than the glyph's reading replaces it when it scores above
        ``KIND_FLOOR`` and ``chains.SPLIT_MARGIN`` above the whole glyph read as a digit. Touching
        digits read whole as a confident letter ("17" of "317" as an M) come apart so; an M
        beside digits ("3M") whose pieces read as 1s and 7s is not read as three digits."""
        starts = _starts(word, row)
        chains = [
            best_chain(slot, terms[a:b], self.reject_threshold)
            for slot, a, b in zip(word, starts[:-1], starts[1:], strict=True)
        ]
        if digit_terms is None:
            return chains
        rows = [[a + i for i in chain] for a, chain in zip(starts[:-1], chains, strict=True)]
        for k, slot in enumerate(word):
            if len(slot.pieces) < 2 or slot.joined:
                continue
            others = [evidence[r] for j, own in enumerate(rows) if j != k for r in own]
            others = [e for e in others if e is not None]
            if len(others) < len(rows[k]):
                continue
            if charsets.sure_kind(others) != "digit":
                continue
            if all(_may_be_digit(best[r]) for r in rows[k]):
                continue
            a, b = starts[k], starts[k + 1]
            if digit_terms[a, 0] >= logit(KIND_MAX):
                continue
            most = len(rows[k]) + 1
            chain = best_chain(slot, digit_terms[a:b], self.reject_threshold, KIND_FLOOR, most)
            if chain != [0]:
                chains[k] = chain
        return chains

    def _spell(self, word, row: int, readings, labels: list[str], inside: bool, chains: list):
        """``word`` (its first piece at batch row ``row``) read by ``chains`` (per slot, its
        pieces), the context rule applied: the Word and the batch rows of its characters.
        ``readings``: per batch row, what ``_char`` and ``_apply_context`` take;
        ``inside``: the word is not its line's first."""
        chars, by_kind, shapes, rows = [], [], [], []
        for slot, chain, start in zip(word, chains, _starts(word, row)[:-1], strict=True):
            for i in chain:
                r, glyph = start + i, slot.pieces[i].glyph
                alts = readings.alternatives[r]
                chars.append(self._char(glyph.box, alts, readings.blobs[r], readings.unknown[r]))
                by_kind.append(readings.kinds[r])
                shapes.append((readings.short[r], readings.low[r], glyph.dot))
                rows.append(r)
        return Word(self._apply_context(chars, by_kind, shapes, labels, inside)), rows

    def _lexicon_chains(self, word, row: int, terms, chains: list, spell) -> tuple:
        """``spell(chains)``: the Word that ``chains`` (per slot of ``word``, the pieces that
        read it) spell and its batch rows; or, when that is a word of ``MIN_LETTERS`` or more,
        fewer than half of them digits, that neither is a word of the lexicon nor becomes one
        (``_lexicon_word``), the spelling of the chains with one slot read otherwise
        (``chains.slot_chains``: the whole glyph, or its best chain of each length) that spell
        a lexicon word with at most ``LEXICON_CUT_CHANGES`` letters changed, scoring at most
        ``LEXICON_CUT`` below the slot's own reading (the least below, if several). Touching
        letters read as one ("BRD", "ROG", "BUE" on the benchmark's pages) come apart
        ("BIRD", "FROG", "BLUE"), and pieces of one letter read as two come together
        ("SOULTH" -> "SOUTH")."""
        first = spell(chains)
        if self._lexicon is None or not self.context:
            return first
        if not any(len(slot.pieces) > 1 for slot in word):
            return first
        chars = first[0].chars
        if len(chars) < MIN_LETTERS or sum(c.char.isdigit() for c in chars) * 2 >= len(chars):
            return first  # too short, a number or a code: words the lexicon leaves as read
        if self._lexicon_word(chars) is not None:
            return first
        found, least = first, LEXICON_CUT
        starts = _starts(word, row)
        for k, slot in enumerate(word):
            if len(slot.pieces) < 2:
                continue
            t = terms[starts[k] : starts[k + 1]]
            own = chain_score(slot, t, chains[k], self.reject_threshold)
            for chain in slot_chains(slot, t, self.reject_threshold, own - least):
                loss = own - chain_score(slot, t, chain, self.reject_threshold)
                if chain == chains[k] or loss > least:
                    continue
                trial = spell([*chains[:k], chain, *chains[k + 1 :]])
                if self._lexicon_word(trial[0].chars, LEXICON_CUT_CHANGES) is not None:
                    found, least = trial, loss
        return found

    def _lexicon_word(self, chars: list[Char], most: int = MAX_CHANGES) -> str | None:
        """The lexicon word ``chars`` read as or nearly are (``lexicon.Lexicon.correct``, at
        most ``most`` letters changed)."""
        read = _read_as(chars, self.reject_char)
        if "".join(read).lower() in self._lexicon.words:
            return "".join(read)
        rejected = [i for i, c in enumerate(chars) if c.char == self.reject_char and not c.blob]
        unsure = frozenset(i for i in rejected if chars[i].confidence > 0)  # below the threshold
        unknown = frozenset(rejected) - unsure  # read as no character (confidence 0)
        alternatives = [c.alternatives for c in chars]
        return self._lexicon.correct(read, alternatives, unsure, unknown, most)

    def _char(
        self, box, alternatives: list[tuple[str, float]], blob: bool = False, unknown: bool = False
    ) -> Char:
        """One Char: best allowed class, or the reject character below the threshold, for a
        blob or for what the model's classes that are no character won (confidence 0; the
        alternatives still say what the classifier read)."""
        label, conf = alternatives[0]
        if blob or unknown:
            conf = 0.0
        if conf < self.reject_threshold:
            label = self.reject_char
        return Char(label, conf, box, alternatives, bool(blob))

    def _apply_context(
        self, chars: list[Char], by_kind: list, shapes: list, labels: list[str], inside: bool
    ) -> list[Char]:
        """The optional word rules (rejected characters neither vote nor change): the word
        read as letters, digits or a code (``by_kind``: each character's best letter and
        best digit with their probabilities), a lower-case a, e, n or r as tall as the
        capitals read as a capital, then its letters in the word's majority case (a
        case-merged letter, such as EMNIST-47's O, by its height: x-height is lower case).
        ``shapes``: per character, whether it is x-height, reaches below the baseline, and is
        topped by a dot (an i's). ``inside``: the word is not its line's first."""
        if not self.context or not chars:
            return chars
        text = "".join(_read_as(chars, self.reject_char))
        alternatives = [[*c.alternatives, *k] for c, k in zip(chars, by_kind, strict=True)]
        text = charsets.apply_context(text, alternatives, labels)
        short, descends, dotted = (list(map(bool, column)) for column in zip(*shapes, strict=True))
        text = charsets.tall_lower_case(text, [c.alternatives for c in chars], labels, short)
        text = charsets.harmonize_case(
            text, [c.alternatives for c in chars], labels, short, descends, dotted, inside
        )
        for c, new in zip(chars, text, strict=True):
            if c.char != self.reject_char:
                c.char = new
        return chars

    def _apply_lexicon(self, chars: list[Char], labels: set[str]) -> list[Char]:
        """The word as the lexicon's nearest word when it is one (``lexicon.Lexicon.correct``;
        a character rejected for its low confidence may be filled, one that the model's
        classes that are no character won too, a blob never), a word of the lexicon in one
        case (``Lexicon.one_case``; ``labels``: the model's classes)."""
        if self._lexicon is None or not self.context:
            return chars
        read = _read_as(chars, self.reject_char)
        word = self._lexicon_word(chars) or "".join(read)
        word = self._lexicon.one_case(word, labels)  # never changes a rejected character
        return _rewritten(chars, read, word)

    def _join_split_words(self, words: list[Word]) -> list[Word]:
        """A line's words with neighbours that are one word split by a wide gap between its
        letters (``lexicon.Lexicon.joins``: "OPE N", "WATE R") joined."""
        if self._lexicon is None or not self.context or not words:
            return words
        out = [words[0]]
        for word in words[1:]:
            first, second = out[-1].text, word.text
            if self.reject_char not in first + second and self._lexicon.joins(first, second):
                out[-1] = Word(out[-1].chars + word.chars)
            else:
                out.append(word)
        return out

    def _lone_letter(self, word: Word) -> Word:
        """``word``, its one letter read as a digit when it is no word of one letter and the
        digit is likely enough (``charset.lone_letter``), with the context rule on; after the
        split words are joined, so that the O of "O PEN" stays a letter."""
        if self.context and len(word.chars) == 1 and word.chars[0].char != self.reject_char:
            c = word.chars[0]
            c.char = charsets.lone_letter(c.char, c.alternatives)
        return word


def _read_as(chars: list[Char], reject_char: str) -> list[str]:
    """Each Char's character, a rejected one as ``NOT_A_CHARACTER``."""
    return [NOT_A_CHARACTER if c.char == reject_char else c.char for c in chars]


def _rewritten(chars: list[Char], read, word: str) -> list[Char]:
    """``chars`` (read as ``read``, one character each) rewritten as ``word``; a changed
    character takes the probability its alternatives give its new letter."""
    for c, old, new in zip(chars, read, word, strict=True):
        if old != new:
            c.char = new
            c.confidence = letter_options(c.alternatives).get(new.lower(), 0.0)
    return chars


def _boxes_back(lines: list[Line], back) -> None:
    """Every character's box of a reading of a turned photo mapped by ``back`` (a box on the
    turned photo -> the box on the photo as it was)."""
    for line in lines:
        for word in line.words:
            for c in word.chars:
                c.box = back(c.box)


def _char_count(lines: list[Line]) -> int:
    """How many characters a reading has."""
    return sum(len(w.chars) for line in lines for w in line.words)


def _mean_confidence(lines: list[Line]) -> float:
    """Mean confidence of a reading's characters (0 for none)."""
    confidences = [c.confidence for line in lines for w in line.words for c in w.chars]
    return float(np.mean(confidences)) if confidences else 0.0


def _best_by_kind(probs: np.ndarray, labels: list[str]) -> list[list[tuple[str, float]]]:
    """Per row: its best letter and its best digit class with their probabilities (a kind
    the model lacks appears with probability 0), for the context rule."""
    if not len(probs):
        return []
    out = []
    for kind in (str.isalpha, str.isdigit):
        columns = [i for i, c in enumerate(labels) if kind(c)]
        if not columns:
            out.append([("", 0.0)] * len(probs))
            continue
        own = probs[:, columns]
        best = own.argmax(axis=1)
        out.append([(labels[columns[b]], float(own[r, b])) for r, b in enumerate(best.tolist())])
    return [list(pair) for pair in zip(*out, strict=True)]


def split_unknown(probs: np.ndarray, labels: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """A model with classes that are no character ("not a character", "touching
    characters"): the rows where they win together, and the probabilities without them
    (their columns zeroed, so they are never a reading or an alternative). Other models: no
    row, probabilities unchanged."""
    columns = [i for i, c in enumerate(labels) if c in NON_CHARACTERS]
    if not columns or probs.shape[1] <= len(columns):
        return probs, np.zeros(len(probs), dtype=bool)
    probs = probs.copy()
    unknown = probs[:, columns].sum(axis=1) >= np.delete(probs, columns, axis=1).max(axis=1)
    probs[:, columns] = 0.0
    return probs, unknown


def _not_characters(lines: list, masks: list[np.ndarray]) -> np.ndarray:
    """Per piece (in batch order, ``masks`` their ink masks): True for what no class can be:
    a blob (``_is_blob``), or a whole glyph (or glyphs of a joined slot) shorter than
    ``SHORT_GLYPH`` of its line's median glyph height (a dash, an equals sign, a large full
    stop; every letter is at least x-height tall)."""
    flags = []
    for words in lines:
        slots = [slot for word in words for slot in word]
        typical = statistics.median([slot.glyph.box[3] for slot in slots])  # as np.median's
        for slot in slots:
            for k, piece in enumerate(slot.pieces):
                short = (k == 0 or slot.joined) and piece.glyph.box[3] < SHORT_GLYPH * typical
                flags.append(short or _is_blob(masks[len(flags)]))
    return np.array(flags, dtype=bool)


def _is_blob(mask: np.ndarray) -> bool:
    """A smudge, a filled shape or a thumb, not a character: its mean stroke is wider than
    ``BLOB_STROKE`` of its longest side (a character's strokes, even a marker's, are much
    thinner than the character; a filled disk measures about 0.4 of its diameter)."""
    return stroke_width(mask) > BLOB_STROKE * max(mask.shape)


def _read_pieces(clf, pieces: list) -> tuple[list, np.ndarray, np.ndarray]:
    """Each piece's ink mask, model input and class probabilities (after ``_second_look``)."""
    masks = [ink_mask(piece.glyph.crop) for piece in pieces]
    if not masks:
        size = clf.convention.size
        return [], np.zeros((0, size, size), np.uint8), np.zeros((0, len(clf.labels)), np.float32)
    crops = np.stack([normalize_mask(m, clf.convention) for m in masks])
    return masks, crops, _second_look(clf, crops, clf.predict_proba(crops))


def _cut_touching(clf, lines: list, slots: list, masks: list, crops, probs) -> tuple:
    """``(lines, slots, masks, crops, probs)`` with every slot that has a ``cut`` and reads
    as touching characters whole (a model with that class) replaced by its cut slot, whose
    new pieces are read and put right after its whole glyph's row."""
    if TOUCHING_CHARACTERS not in clf.labels:
        return lines, slots, masks, crops, probs
    touching = clf.labels.index(TOUCHING_CHARACTERS)
    starts = np.cumsum([0] + [len(slot.pieces) for slot in slots]).tolist()
    cut = {}
    for slot, row in zip(slots, starts, strict=False):
        if slot.cut is not None and int(probs[row].argmax()) == touching:
            new = slot.cut()
            if len(new.pieces) > 1:
                cut[id(slot)] = new
    if not cut:
        return lines, slots, masks, crops, probs
    pieces = [piece for new in cut.values() for piece in new.pieces[1:]]
    new_masks, new_crops, new_probs = _read_pieces(clf, pieces)
    order, extra = [], len(masks)  # rows of the old readings and the new ones, slot by slot
    for slot, row in zip(slots, starts, strict=False):
        order.extend(range(row, row + len(slot.pieces)))
        if id(slot) in cut:
            n = len(cut[id(slot)].pieces) - 1
            order.extend(range(extra, extra + n))
            extra += n
    every = masks + new_masks
    lines = [[[cut.get(id(s), s) for s in word] for word in words] for words in lines]
    slots = [cut.get(id(s), s) for s in slots]
    crops = np.concatenate([crops, new_crops])[order]
    probs = np.concatenate([probs, new_probs])[order]
    return lines, slots, [every[i] for i in order], crops, probs


def _may_be_digit(label: str) -> bool:
    """Whether a character read as ``label`` may be a digit: it is one, or its twin of one
    shape is (O/0, I/1)."""
    return label.isdigit() or charsets.SAME_SHAPE.get(label, "").isdigit()


def _digit_confidence(probs: np.ndarray, labels: list[str], never: np.ndarray):
    """Each row's shape confidence (``_shape_confidence``) of its best digit class (0 where
    ``never``) and that class's label."""
    columns = np.array([c.isdigit() for c in labels])
    best = np.where(columns, probs, -1.0).argmax(axis=1)
    confidence = _shape_confidence(probs, best, labels)
    confidence[never] = 0.0
    return confidence, [labels[i] for i in best.tolist()]


def _second_look(clf, crops: np.ndarray, probs: np.ndarray) -> np.ndarray:
    """``probs`` with the rows under ``SECOND_LOOK`` averaged with a reading of their crop blurred
    ``SECOND_BLUR`` times the convention's blur more (models that blur their crops only):
    photo crops vary in sharpness more than the training images did, and the two readings
    disagree mostly where one of them is wrong. A crop first read as "not a character" (or
    "touching characters") keeps that reading: those classes were trained on sharp crops, and
    blur turns a smiley into a Q."""
    sigma = SECOND_BLUR * clf.convention.blur
    if not sigma or len(probs) == 0:
        return probs
    best = probs.argmax(axis=1)
    unsure = probs[np.arange(len(best)), best] < SECOND_LOOK
    unsure &= ~np.isin(best, [i for i, c in enumerate(clf.labels) if c in NON_CHARACTERS])
    unsure = np.flatnonzero(unsure)
    if len(unsure) == 0:
        return probs
    blurred = np.stack([cv2.GaussianBlur(crops[i], (0, 0), sigma) for i in unsure])
    probs[unsure] = (probs[unsure] + clf.predict_proba(blurred)) / 2
    return probs


def _shape_confidence(probs: np.ndarray, best: np.ndarray, labels: list[str]) -> np.ndarray:
    """Each row's best probability plus its look-alike's (O/0, I/1, S/5, Z/2, B/8, G/6): how sure
    the classifier is of the shape, whichever of the two the context rule later picks."""
    index = {c: i for i, c in enumerate(labels)}
    twins = charsets.LOOK_ALIKE
    partner = np.array([index.get(twins.get(c, ""), -1) for c in labels], dtype=np.int64)
    rows = np.arange(len(best))
    mate = partner[best]
    extra = np.where(mate >= 0, probs[rows, np.maximum(mate, 0)], 0.0)
    return probs[rows, best] + extra


class _Ranked(NamedTuple):
    """Per batch row of one probability matrix: its classes ranked."""

    order: np.ndarray  # the ``topk`` likeliest classes, best first
    alternatives: list  # their (class, probability) pairs
    kinds: list  # the best letter and best digit (``_best_by_kind``), with the context rule

    @classmethod
    def of(cls, probs: np.ndarray, labels: list[str], topk: int, context: bool) -> _Ranked:
        """Rank ``probs`` (N x C over ``labels``)."""
        order = np.argsort(-probs, axis=1)[:, :topk]
        top = np.take_along_axis(probs, order, axis=1)
        alternatives = [
            [(labels[i], p) for i, p in zip(o, q, strict=True)]
            for o, q in zip(order.tolist(), top.tolist(), strict=True)
        ]
        kinds = _best_by_kind(probs, labels) if context else [[]] * len(probs)
        return cls(order, alternatives, kinds)


class _Readings(NamedTuple):
    """Per batch row: what a Char and the context rule are made of."""

    alternatives: list  # the classifier's ranked (class, probability) pairs
    kinds: list  # its best letter and best digit (``_best_by_kind``)
    blobs: np.ndarray  # a blob: a reject whatever it reads as
    unknown: np.ndarray  # the classes that are no character won
    short: np.ndarray  # x-height
    low: np.ndarray  # reaches below the baseline


def _starts(word, row: int) -> list[int]:
    """The batch row of each slot's first piece, and one past the last slot's last."""
    return np.cumsum([row] + [len(slot.pieces) for slot in word]).tolist()


def _inverted(photo) -> tuple[np.ndarray, np.ndarray]:
    """A loaded photo's pixels and colour, inverted (light writing on a dark ground)."""
    return cv2.bitwise_not(photo.image), cv2.bitwise_not(photo.colour)


def _name(image, name: str | None) -> str:
    """The name a Page reports: the given one, a path's text, or a placeholder."""
    if name is not None:
        return name
    if isinstance(image, str | os.PathLike | Path):
        return str(image)
    return "<array>" if isinstance(image, np.ndarray) else "<bytes>"
