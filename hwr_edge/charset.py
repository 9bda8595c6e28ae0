"""Charset constraints (``--charset``) and the O/0-style context rule.

- ``charset_mask(spec, labels)``: which of a model's classes a charset allows.
- ``charset_transfer(spec, labels)``: the matrix that applies that mask to probabilities,
  giving a disallowed look-alike's probability to its allowed twin (0 to O under ``upper``).
- ``descender_transfer(labels, allowed)``: the matrix that reads a g or q that does not reach
  below the baseline as the 9 it then is.
- ``apply_context(word, alternatives)``: reads a word as letters, as digits, or as a code
  that mixes them (where the classifier is sure of both), so look-alikes (O/0, I/1, S/5,
  Z/2, B/8, G/6, ...) follow their neighbours.
- ``lone_letter(c, alternatives)``: a word of one letter that is no word (not A or I) read
  as its digit when that is likely enough ("APPLES G" -> "APPLES 6").
- ``sure_kind(alternatives)``: whether characters are surely letters or surely digits (the
  recognizer reads a glyph read as a letter among sure digits again as digits).
- ``tall_lower_case(word, alternatives, labels, short)``: a letter read as an x-height lower-case
  letter (a e n r) but as tall as the capitals of its word is a capital ("CAr" -> "CAT").
- ``harmonize_case(word, alternatives, labels)``: writes a word's letters in its majority
  case (F/f, N/n, ...), for the letters whose two cases are separate classes.
"""

from __future__ import annotations

import math
import string
from collections.abc import Sequence

import numpy as np

from hwr_edge.errors import HwrError

NAMED = {
    "digits": string.digits,
    "letters": string.ascii_letters,
    "upper": string.ascii_uppercase,
    "lower": string.ascii_lowercase,
    "alnum": string.digits + string.ascii_letters,
}

# Look-alikes: what a letter reads as in a number, and what a digit reads as in a word.
TO_DIGIT = {"O": "0", "o": "0", "I": "1", "l": "1", "i": "1", "S": "5", "s": "5"}
TO_DIGIT |= {"Z": "2", "z": "2", "B": "8", "G": "6"}
TO_UPPER = {"0": "O", "1": "I", "5": "S", "2": "Z", "8": "B"}
TO_LOWER = {"0": "o", "1": "l", "5": "s", "2": "z", "8": "B"}
# ... and a digit's letter of the same shape, for a disallowed digit's probability and for how
# sure the classifier is of a shape: a 6 is a G there, while in a word it becomes whichever
# letter the classifier puts first (G, b, C, ...)
LETTER_SHAPE = TO_UPPER | {"6": "G"}
LOOK_ALIKE = TO_DIGIT | LETTER_SHAPE  # a class's twin of the other kind, one shape
# O/0 and I/l/1 are one shape in two kinds (S/5, Z/2, B/8 and G/6 differ by a flat top, a flat
# base, a straight stem, a bar): their twins, taken from the look-alike tables above
SAME_SHAPE = {c: TO_DIGIT.get(c) or TO_UPPER[c] for c in "Oo0Il1"}
ON_BASELINE = {"g": "9", "q": "9", "p": "P", "y": "Y", "j": "J"}  # a descender without descent
BY_HEIGHT = set("CMOSUVWXZ")  # case-merged letters whose lower case is x-height (c m o s ...)
DESCENDING = set("JPY")  # case-merged letters whose lower case reaches below the baseline
DESCENT_VOTES = DESCENDING - {"J"}  # ... and whose descent says lower case (a capital J may too)
CLASS_VOTE = 3  # a letter whose case the classifier reads (E or e) weighs as much as this
# many letters whose case their height tells: a word's capitals vary in height by a fifth
# classes whose case the classifier cannot read: the shipped edgenet reads EMNIST's held-out
# F as f 43% of the time and f as F 26% (python -m export evaluate; docs/results-accuracy.md)
NO_CASE_VOTE = set("Ff")
NO_SHAPE = set("IJKL")  # case-merged letters whose two cases neither height nor descent tell
DOTTED = set("IJ")  # case-merged letters whose lower case has a dot (i, j): a dot says lower case
# lower-case letters without ascender or descender: those of BY_HEIGHT and a e n r
X_HEIGHT_LOWER = {c.lower() for c in BY_HEIGHT} | set("aenr")
CODE_PRIOR = 0.1  # prior of a word being a code that mixes letters and digits ("AMW7K")
# ... and of a lone letter being a word of its own, unless it is one of these (a quantity,
# "APPLES 6", is likelier than a lone G)
ONE_LETTER_WORDS = set("AaIi")
MISSING = 1e-3  # probability of a kind none of a character's alternatives belongs to
# an alternative less likely than this is no reason to rewrite a character as it (its
# look-alike of the other kind, its other case)
TWIN_MIN = 0.01


def charset_mask(spec: str | None, labels: Sequence[str]) -> np.ndarray | None:
    """Boolean mask over ``labels`` of the classes allowed by ``spec``; None when unconstrained.

    ``spec`` is ``digits``, ``letters``, ``upper``, ``lower``, ``alnum``, or the allowed
    characters themselves (e.g. ``"0123456789+-"``). A letter class of a case-merged model
    (EMNIST Balanced's ``C`` stands for c and C) is allowed when either case is allowed and
    the other case has no class of its own. Raises ``HwrError`` when nothing is allowed.
    """
    if spec is None:
        return None
    if not spec:
        raise HwrError("--charset is empty")
    allowed = set(NAMED.get(spec, spec))
    present = set(labels)
    mask = np.array(
        [c in allowed or (c.swapcase() in allowed and c.swapcase() not in present) for c in labels],
        dtype=bool,
    )
    if not mask.any():
        shown = "".join(labels)
        raise HwrError(f"--charset {spec!r} allows none of the model's classes ({shown})")
    return mask


def charset_transfer(spec: str | None, labels: Sequence[str]) -> np.ndarray | None:
    """``C x C`` matrix ``T`` for ``probs @ T``: allowed classes keep their probability,
    disallowed ones give it to their allowed look-alike (O/0, I/1, S/5, Z/2, B/8, G/6) or lose it.
    A "0" written in an ``upper`` field is an O; a "K" in a ``digits`` field stays unknown
    (rejected). None when ``spec`` is None."""
    mask = charset_mask(spec, labels)
    if mask is None:
        return None
    index = {c: i for i, c in enumerate(labels)}
    transfer = np.diag(mask.astype(np.float32))
    for i, c in enumerate(labels):
        twin = index.get(LOOK_ALIKE.get(c, ""), -1)
        if not mask[i] and twin >= 0 and mask[twin]:
            transfer[i, twin] = 1.0
    return transfer


def descender_transfer(labels: Sequence[str], allowed: np.ndarray | None) -> np.ndarray | None:
    """``C x C`` matrix for ``probs @ T`` on glyphs that do not reach below the baseline: a
    descender class (g, q, p, y, j) gives its probability to the twin that sits on the
    baseline (9, 9, P, Y, J), where both are classes and the twin is ``allowed`` (a charset
    mask, None for all). None when the model has no such pair."""
    index = {c: i for i, c in enumerate(labels)}
    transfer = np.eye(len(labels), dtype=np.float32)
    moved = False
    for low, twin in ON_BASELINE.items():
        i, j = index.get(low), index.get(twin)
        if i is not None and j is not None and (allowed is None or allowed[j]):
            transfer[i, i], transfer[i, j] = 0.0, 1.0
            moved = True
    return transfer if moved else None


def apply_context(
    word: str, alternatives: Sequence[Sequence] | None = None, labels: Sequence[str] = ()
) -> str:
    """Read ``word`` as letters, as digits, or as a code that mixes them.

    ``alternatives`` holds each character's ranked ``(char, probability)`` pairs. Each
    character scores the log-probability of its best letter and of its best digit (a kind
    with no class among the alternatives gets ``MISSING``). The word is read as all
    letters, all digits, or a code in which every character keeps its own kind, whichever
    scores best, a code's score times ``CODE_PRIOR``. A character read as the other kind
    becomes its look-alike or its best alternative of the chosen kind (``_replacement``):
    "2O24" -> "2024", "HELL0" -> "HELLO", "4G12" -> "4612" when 6 is among the G's
    alternatives, while a confident "A4" or "AMW7K" stays. Other characters (the reject
    character, punctuation) never change and cost nothing. A replaced letter is written in
    lower case in a word of mostly lower-case letters, unless its other case is a class of
    its own in ``labels`` (the case rule decides those).
    Without ``alternatives`` each character counts as itself, and O/0, I/1, S/5, Z/2, B/8
    as both, equally likely, as does a G as G or 6.
    """
    letters = [c for c in word if c.isalpha()]
    lower = sum(c.islower() for c in letters) * 2 > len(letters)
    if alternatives is None:
        alternatives = [_look_alikes(c, lower) for c in word]
    kinds = _best_kinds(word, alternatives)
    out = []
    for c, kind, alts in zip(word, kinds, alternatives, strict=True):
        new = c
        if kind is not None and _kind(c) != kind:
            new = _replacement(c, kind, alts, lower)
            if lower and new.isupper() and new.lower() not in labels:
                new = new.lower()
        out.append(new)
    return "".join(out)


def _replacement(c: str, kind: str, alternatives: Sequence, lower: bool) -> str:
    """What ``c`` reads as when it is of ``kind``: its look-alike (O/0, I/1 or l/1, ...) when
    that is among its alternatives at ``TWIN_MIN`` or more, else its best alternative of that
    kind (``c`` itself when there is none). The look-alike first, because a case-merged class
    holds both cases: a bar's best letter may be L (for l) where an upper-case word needs I."""
    candidates = [str(a) for a, p in alternatives if p > 0 and _kind(str(a)) == kind]
    table = TO_DIGIT if kind == "digit" else TO_LOWER if lower else TO_UPPER
    twin = table.get(c)
    if twin is not None and any(_among(t, alternatives) for t in {twin, twin.swapcase()}):
        return twin
    return candidates[0] if candidates else c


def _best_kinds(word: str, alternatives: Sequence[Sequence]) -> list[str | None]:
    """Per character, the kind it is read as (None for characters that are neither): all
    "letter", all "digit", or each its own kind when the word reads best as a code (its
    likelihood times ``CODE_PRIOR``); see ``apply_context``. A tie keeps the characters'
    own kinds."""
    own = [_kind(c) for c in word]
    score = {"letter": 0.0, "digit": 0.0, "code": math.log(CODE_PRIOR)}
    for kind, alts in zip(own, alternatives, strict=True):
        if kind is None:
            continue
        best = _best_of_kinds(alts)
        score["letter"] += math.log(best["letter"]) + (1e-6 if kind == "letter" else 0.0)
        score["digit"] += math.log(best["digit"]) + (1e-6 if kind == "digit" else 0.0)
        score["code"] += math.log(best[kind])
    choice = max(score, key=score.get)
    return own if choice == "code" else [k and choice for k in own]


def lone_letter(c: str, alternatives: Sequence) -> str:
    """A word of one character ``c`` (with its ranked ``(char, probability)``
    ``alternatives``): a letter that is no word of one letter (``ONE_LETTER_WORDS``) is as
    unlikely as a code, and reads as its digit look-alike or best digit when that digit is
    at least ``CODE_PRIOR`` as likely as the letter ("APPLES G" -> "APPLES 6" when the G held
    6 at a third of its own); anything else stays."""
    if not c.isalpha() or c in ONE_LETTER_WORDS:
        return c
    best = _best_of_kinds(alternatives)
    if best["digit"] > MISSING and best["digit"] >= CODE_PRIOR * best["letter"]:
        return _replacement(c, "digit", alternatives, False)
    return c


def sure_kind(alternatives: Sequence[Sequence]) -> str | None:
    """The kind, "letter" or "digit", of characters (each given by its ranked ``(char,
    probability)`` alternatives) that are all of that kind ``1 / CODE_PRIOR`` times likelier
    than all of the other, as the context rule scores them; else None (no character, or
    no kind that sure)."""
    letter = digit = 0.0
    for alts in alternatives:
        best = _best_of_kinds(alts)
        letter += math.log(best["letter"])
        digit += math.log(best["digit"])
    sure = -math.log(CODE_PRIOR)
    return "letter" if letter - digit >= sure else "digit" if digit - letter >= sure else None


def _best_of_kinds(alternatives: Sequence) -> dict[str, float]:
    """A character's likeliest letter's and likeliest digit's probability (``MISSING`` for a
    kind none of its alternatives is), a look-alike of one shape counted with it."""
    best = {"letter": MISSING, "digit": MISSING}
    for a, p in _shape_probabilities(alternatives).items():
        k = _kind(a)
        if k is not None and p > best[k]:
            best[k] = p
    return best


def _shape_probabilities(alternatives: Sequence) -> dict[str, float]:
    """Each alternative's probability plus its twin's when the two are one shape (O/0,
    I/1, l/1: ``SAME_SHAPE``) and the twin is among the alternatives too: the classifier's
    split between them says nothing about the word's kind. S/5, Z/2, B/8 and G/6 differ (a
    flat top, a flat base, a straight stem, a bar) and keep their own probabilities."""
    prob: dict[str, float] = {}
    for a, p in alternatives:
        prob[str(a)] = max(prob.get(str(a), 0.0), float(p))
    return {a: p + prob.get(SAME_SHAPE.get(a, ""), 0.0) for a, p in prob.items()}


def _look_alikes(c: str, lower: bool) -> list[tuple[str, float]]:
    """Stand-in alternatives of a bare character: itself, and its look-alike as likely (in
    lower case for a lower-case word)."""
    twin = TO_DIGIT.get(c) or (TO_LOWER if lower else TO_UPPER).get(c)
    return [(c, 0.5), (twin, 0.5)] if twin else [(c, 1.0)]


def harmonize_case(
    word: str,
    alternatives: Sequence[Sequence],
    labels: Sequence[str],
    short: Sequence[bool] | None = None,
    descends: Sequence[bool] | None = None,
    dotted: Sequence[bool] | None = None,
    inside_line: bool = False,
) -> str:
    """People write a word in one case (a capitalized first letter aside): rewrite its
    letters to the word's majority case.

    The letters after the first vote (``_case_vote``): those whose two cases are both in
    ``labels`` (EMNIST-47's a b d e f g h n q r t and their capitals) by their class, each
    weighing ``CLASS_VOTE`` votes (the classifier tells an E from an e by its shape, not an F
    from an f: ``NO_CASE_VOTE``, which only break a tie as a first letter); when
    ``short`` is given, the case-merged letters whose lower case is x-height (``BY_HEIGHT``:
    EMNIST-47's C stands for c and C) by their height against their line's tall letters,
    x-height (``short``) for lower case; when ``descends`` is given, a P or Y that reaches below the
    baseline, for lower case. A first letter in lower case breaks a tie (a word starts in
    lower case only when it is in lower case), even one of no votes when its shape says so
    (an x-height m of "milk"; a lower-case class alone, the f of "fK", may be a misread
    capital); another tie changes nothing.

    In the majority case, a letter of the other case becomes its twin when that is among its
    ``(char, confidence)`` alternatives at ``TWIN_MIN`` or more. In a lower-case word the
    case-merged letters after the first are written in lower case when the word has an
    x-height letter or a P or Y below the baseline (one all of capital height is in capitals,
    whatever the classifier read: "SKY" stays, "SKY" with its Y below the line is "Sky"), a
    first one when it votes for lower case; there an I or an l is an i when ``dotted`` (its
    glyph topped by a dot) or x-height (its dot missed), else an l. A dotted I or J votes
    for lower case. A first letter of no shape (``NO_SHAPE``: I, J, K, L) or of no case the
    classifier reads (F) is written in lower case too when the word is ``inside_line`` (not
    its line's first): inside a line a word is more often in lower case than capitalized ("keys",
    "lazy", "fix" for "Keys", "Iazy", "Fix")."""
    present = set(labels)
    cased = [c.isalpha() and c.swapcase() in present and c.swapcase() != c for c in word]
    merged = [c.isalpha() and c.isupper() and c.lower() not in present for c in word]
    votes = [
        _case_vote(c, i, k, m, short, descends, dotted)
        for i, (c, k, m) in enumerate(zip(word, cased, merged, strict=True))
    ]
    weight = [CLASS_VOTE if k else 1 for k in cased]
    lower = sum(w for v, w in zip(votes[1:], weight[1:], strict=True) if v is True)
    upper = sum(w for v, w in zip(votes[1:], weight[1:], strict=True) if v is False)
    if upper == lower and votes[0] and (lower > 0 or merged[0]):
        lower += 1
    if upper == lower:
        return word
    descent = (v and m and c in DESCENT_VOTES for c, v, m in zip(word, votes, merged, strict=True))
    x_height = short is None or any(short) or any(descent)
    shapeless = inside_line and x_height and word[:1] in NO_SHAPE | NO_CASE_VOTE
    out = []
    for i, (c, k) in enumerate(zip(word, cased, strict=True)):
        wrong = c.islower() if upper > lower else c.isupper() and (i > 0 or shapeless)
        if k and wrong and _among(c.swapcase(), alternatives[i]):
            c = c.swapcase()
        elif lower > upper and merged[i] and (x_height if i > 0 else votes[0] or shapeless):
            c = c.lower()
        if lower > upper and c in "il" and (i > 0 or shapeless) and dotted is not None:
            c = "i" if dotted[i] or (short is not None and short[i]) else "l"
        out.append(c)
    return "".join(out)


def _among(c: str, alternatives: Sequence) -> bool:
    """Whether ``c`` is among a character's ``(char, confidence)`` alternatives at
    ``TWIN_MIN`` or more."""
    return any(str(a) == c and p >= TWIN_MIN for a, p in alternatives)


def _case_vote(c: str, i: int, cased: bool, merged: bool, short, descends, dotted) -> bool | None:
    """A letter's vote for lower case (True) or upper case (False), or None: a letter whose
    two cases are classes by its class (an F or f only as the first letter), a case-merged
    letter whose lower case is x-height by its height, a P or Y that reaches below the
    baseline for lower case (a capital J may reach there too), an I or J with a dot for lower
    case. A first letter votes only for lower case."""
    if cased and (c not in NO_CASE_VOTE or i == 0):
        vote = c.islower()
    elif merged and dotted is not None and c in DOTTED and dotted[i]:
        vote = True
    elif merged and short is not None and c in BY_HEIGHT:
        vote = bool(short[i])
    elif merged and descends is not None and c in DESCENT_VOTES and descends[i]:
        vote = True
    else:
        return None
    return vote if vote or i > 0 else None


def tall_lower_case(
    word: str, alternatives: Sequence[Sequence], labels: Sequence[str], short: Sequence[bool]
) -> str:
    """A letter read in lower case without ascender or descender (a e n r, ...: ``X_HEIGHT_LOWER``)
    but as tall as the word's tallest letter, in a word with another letter read as a capital
    (one whose lower case is a class of its own in ``labels``), is a capital: its best
    capital alternative ("CAr" -> "CAT" when T is among the r's alternatives, "QaIZ" ->
    "QUIZ"), else its own capital. ``short`` marks the x-height letters. A word of lower-case
    letters only ("ran") has no capital and stays."""
    present = set(labels)
    capitals = sum(c.isupper() and c.lower() in present for c in word)
    out = []
    for i, (c, low) in enumerate(zip(word, short, strict=True)):
        if c in X_HEIGHT_LOWER and c in present and not low and capitals:
            ups = [str(a) for a, p in alternatives[i] if p > 0 and str(a).isupper()]
            c = ups[0] if ups else c.upper() if c.upper() in present else c
        out.append(c)
    return "".join(out)


def _kind(c: str) -> str | None:
    """ "digit", "letter", or None for every other character."""
    if c.isdigit():
        return "digit"
    return "letter" if c.isalpha() else None
