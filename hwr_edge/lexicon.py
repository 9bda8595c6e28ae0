"""Words read against a lexicon (``--lexicon``): a misread word becomes the word it nearly is.

A word of letters that is not in the lexicon is compared with the lexicon's words that its
characters' alternatives spell, changing at most ``MAX_CHANGES`` of its letters (each to one
of that character's alternatives, of either case, or a digit's letter twin: 0 -> o, 5 -> s).
The likeliest such word, by the product of its letters' probabilities, replaces the reading
when that product is at least ``MIN_RATIO`` of the reading's own: "HOVSE" -> "HOUSE" when the
classifier gave U a tenth of V's probability, while a confident "KZGG" stays. A digit in a
word of letters counts as a letter to change, its letter twin as likely as itself ("EA5T" ->
"EAST", a code to the context rule). Words shorter than ``MIN_LETTERS``, words that are half
digits or more (numbers, codes), words with a mark rejected for its shape (a blob, a dash, a
full stop: never forced into a letter) and words already in the lexicon are never changed; a
character rejected only for its low confidence is one of the letters to change ("WE?K" ->
"WEEK" when E is among its alternatives), and so is one mark per word that the classifier's
classes for what is no character won, as a letter it gave at least ``MIN_UNKNOWN`` ("COD?"
-> "CODE" when E is among its alternatives); the case of the reading is kept ("JVMP" ->
"JUMP", "hING" -> "KING"). A word of the lexicon read in mixed
case ("qUICK", "LaZY") is then written in one (``Lexicon.one_case``). Before all that, two
neighbouring words of a line that together make a word, one of them no word, are joined
(``Lexicon.joins``: "WATE R" -> "WATER"; a gap between letters as wide as a word's).

The default lexicon, ``english``, is the common English words of SCOWL (size 35, Debian's
``wamerican-small``), in ``lexicons/english.txt``; any UTF-8 file of one word per line
works too.
"""

from __future__ import annotations

import itertools
import os
from dataclasses import dataclass
from pathlib import Path

from hwr_edge.charset import NO_CASE_VOTE, TO_LOWER
from hwr_edge.errors import HwrError

BUNDLED = Path(__file__).resolve().parent / "lexicons"
NAMES = ("english",)  # bundled lexicons, by name (lexicons/<name>.txt)
MIN_LETTERS = 3  # shorter words are left as read (too many two-letter words are one change apart)
MAX_CHANGES = 2  # a word changes at most this many of its letters
MIN_RATIO = 0.05  # ... and only into a word at least this part as likely as the reading
MIN_ALTERNATIVE = 0.01  # alternatives less likely than this are not tried
# a mark the classifier read as no character fills a word (one per word) only as a letter it
# gave at least this probability
MIN_UNKNOWN = 0.05
MIN_JOINED = 4  # two neighbouring words may be one split word of at least this many letters
# a word of the lexicon in mixed case is rewritten in one; a letter whose case the classifier
# reads by its class (E or e) outweighs this many whose case only their height told
CLASS_CASE = 5


@dataclass(frozen=True)
class Lexicon:
    """A set of lower-case words and the name it was loaded by."""

    name: str
    words: frozenset[str]

    def correct(
        self,
        chars: list[str],
        alternatives: list[list[tuple[str, float]]],
        unsure: frozenset[int] = frozenset(),
        unknown: frozenset[int] = frozenset(),
        most: int = MAX_CHANGES,
    ) -> str | None:
        """The lexicon word that the reading ``chars`` (one character each) nearly is, in the
        reading's case, given each character's ranked ``(char, probability)`` alternatives;
        None when the reading stays. ``unsure``: the positions of characters rejected for their
        low confidence, which the word fills, each as one of its changes; ``unknown``: those
        of marks the classifier read as no character, filled the same way, one per word, with
        letters of ``MIN_UNKNOWN`` or more; ``most``: the most letters changed."""
        digits = sum(c.isdigit() for c in chars)
        letters = sum(c.isalpha() or i in unsure | unknown for i, c in enumerate(chars))
        if len(chars) < MIN_LETTERS or letters + digits < len(chars) or digits * 2 >= len(chars):
            return None
        read = "".join(chars).lower()
        if read in self.words or len(unknown) > 1:
            return None
        options = [letter_options(a) for a in alternatives]
        for i in unknown:
            options[i] = {c: p for c, p in options[i].items() if p >= MIN_UNKNOWN}
        # a digit, or a letter the context rule took from beyond the alternatives: least likely
        own = [
            max(opts.get(c.lower(), 0.0), MIN_ALTERNATIVE)
            for c, opts in zip(chars, options, strict=True)
        ]
        for i in unsure | unknown:  # as likely as its best letter: what it would read alone
            own[i] = max(options[i].values(), default=MIN_ALTERNATIVE)
        best, best_ratio = None, MIN_RATIO
        for changes in range(1, most + 1):
            for where in itertools.combinations(range(len(chars)), changes):
                swaps = [
                    [(c, p / own[i]) for c, p in options[i].items() if c != read[i]] for i in where
                ]
                for picked in itertools.product(*swaps):
                    ratio = 1.0
                    word = list(read)
                    for i, (c, r) in zip(where, picked, strict=True):
                        word[i] = c
                        ratio *= r
                    if ratio >= best_ratio and "".join(word) in self.words:
                        best, best_ratio = "".join(word), ratio
        return None if best is None else _in_case_of(best, chars)

    def one_case(self, word: str, labels: set[str]) -> str:
        """``word`` in one case when it is a word of the lexicon read in mixed case ("qUICK",
        "LaZY"): all lower, all capitals or capitalized, whichever changes the case of the
        fewest letters, a letter whose two cases are classes of their own in ``labels`` (by
        its shape) weighing ``CLASS_CASE`` letters whose case only their height told (those
        of ``NO_CASE_VOTE`` weigh one). Other words are returned as they are."""
        forms = (word.lower(), word.upper(), word[:1].upper() + word[1:].lower())
        if word in forms or word.lower() not in self.words:
            return word
        costs = [_case_cost(word, form, labels) for form in forms]
        return forms[costs.index(min(costs))]

    def joins(self, first: str, second: str) -> bool:
        """Whether two neighbouring words of a line are one word split by a wide gap between
        its letters ("OPE N", "WATE R", "O PEN"): together they are a word of the lexicon of
        ``MIN_JOINED`` letters or more, and one of them is no word (shorter than
        ``MIN_LETTERS``, or not in the lexicon). Two words ("BED ROOM") stay apart."""
        both = (first + second).lower()
        if len(both) < MIN_JOINED or both not in self.words:
            return False
        return not (self.known(first) and self.known(second))

    def known(self, word: str) -> bool:
        """A word of the lexicon at least ``MIN_LETTERS`` long."""
        return len(word) >= MIN_LETTERS and word.lower() in self.words


def load_lexicon(spec: str | os.PathLike | None) -> Lexicon | None:
    """A bundled lexicon by name, a word file by path, or None for ``None``/"none"."""
    if spec is None or str(spec) == "none":
        return None
    path = BUNDLED / f"{spec}.txt" if str(spec) in NAMES else Path(spec)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        known = ", ".join(NAMES)
        message = f"cannot read lexicon {str(spec)!r} (a word file, or one of: {known}): {exc}"
        raise HwrError(message) from None
    lines = map(str.strip, text.lower().splitlines())
    return Lexicon(str(spec), frozenset(w for w in lines if w.isalpha()))  # no "#" comment


def letter_options(alternatives: list[tuple[str, float]]) -> dict[str, float]:
    """A character's alternatives (those at ``MIN_ALTERNATIVE`` or more) as lower-case letters
    with their probabilities, the two cases of a letter and a digit's letter twin (0 -> o)
    added together."""
    options: dict[str, float] = {}
    for c, p in alternatives:
        letter = TO_LOWER.get(c, c).lower()
        if letter.isalpha() and p >= MIN_ALTERNATIVE:
            options[letter] = options.get(letter, 0.0) + p
    return options


def _in_case_of(word: str, chars: list[str]) -> str:
    """``word`` (lower case) written in the case of the reading ``chars``: all capitals when
    its letters were, else letter by letter, a changed or rejected letter in the case of most
    of the others."""
    letters = [c for c in chars if c.isalpha()]
    upper = sum(c.isupper() for c in letters) * 2 > len(letters)
    if letters and all(c.isupper() for c in letters):
        return word.upper()
    out = []
    for new, old in zip(word, chars, strict=True):
        same = old.isalpha() and old.lower() == new
        out.append((old.isupper() if same else upper) and new.upper() or new)
    return "".join(out)


def _case_cost(word: str, form: str, labels: set[str]) -> int:
    """What writing ``word`` in the case of ``form`` costs (see ``Lexicon.one_case``)."""
    cost = 0
    for c, new in zip(word, form, strict=True):
        if c != new:
            by_class = c in labels and c.swapcase() in labels and c not in NO_CASE_VOTE
            cost += CLASS_CASE if by_class else 1
    return cost
