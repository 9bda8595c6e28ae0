"""Charset constraints (``--charset``) and the O/0-style context rule.

- ``charset_mask(spec, labels)``: which of a model's classes a charset allows.
- ``charset_transfer(spec, labels)``: the matrix that applies that mask to probabilities,
  giving a disallowed look-alike's probability to its allowed twin (0 to O under ``upper``).
- ``apply_context(word, alternatives)``: resolves look-alike letters and digits inside a word
  (O/0, I/1/l, S/5, Z/2, B/8) by the word's majority of digits or letters.
- ``harmonize_case(word, alternatives, labels)``: writes a word's letters in its majority
  case (F/f, N/n, ...), for the letters whose two cases are separate classes.
"""

from __future__ import annotations

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
TO_DIGIT |= {"Z": "2", "z": "2", "B": "8"}
TO_UPPER = {"0": "O", "1": "I", "5": "S", "2": "Z", "8": "B"}
TO_LOWER = {"0": "o", "1": "l", "5": "s", "2": "z", "8": "B"}


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
    disallowed ones give it to their allowed look-alike (O/0, I/1, S/5, Z/2, B/8) or lose it.
    A "0" written in an ``upper`` field is an O; a "K" in a ``digits`` field stays unknown
    (rejected). None when ``spec`` is None."""
    mask = charset_mask(spec, labels)
    if mask is None:
        return None
    index = {c: i for i, c in enumerate(labels)}
    transfer = np.diag(mask.astype(np.float32))
    for i, c in enumerate(labels):
        twin = index.get(TO_DIGIT.get(c) or TO_UPPER.get(c) or "", -1)
        if not mask[i] and twin >= 0 and mask[twin]:
            transfer[i, twin] = 1.0
    return transfer


def apply_context(word: str, alternatives: Sequence[Sequence] | None = None) -> str:
    """Rewrite look-alike characters of ``word`` to the word's majority kind.

    In a word of mostly digits, O/o/I/l/i/S/s/Z/z/B become 0/1/5/2/8; in a word of mostly
    letters, 0/1/5/2/8 become letters (lower case when most of its letters are lower case).
    Only unambiguous characters vote; a tie changes nothing. ``alternatives`` optionally
    holds each character's top-k ``(char, confidence)`` pairs: then a character is only
    rewritten when the replacement is among its alternatives.
    """
    kinds = [_kind(c) for c in word]
    digits, letters = kinds.count("digit"), kinds.count("letter")
    if digits == letters:
        return word
    if digits > letters:
        table = TO_DIGIT
    else:
        lower = sum(c.islower() for c, k in zip(word, kinds, strict=True) if k == "letter")
        table = TO_LOWER if lower * 2 > letters else TO_UPPER
    out = []
    for i, c in enumerate(word):
        new = table.get(c, c)
        if new != c and alternatives is not None and not _among(new, alternatives[i]):
            new = c
        out.append(new)
    return "".join(out)


def harmonize_case(word: str, alternatives: Sequence[Sequence], labels: Sequence[str]) -> str:
    """People write a word in one case (a capitalized first letter aside): rewrite letters
    of the other case to the word's majority case, when the other case is among that
    character's ``(char, confidence)`` alternatives. Only letters whose two cases are both
    in ``labels`` vote or change (EMNIST-47's C stands for c and C: it says nothing); the
    first letter does not vote, and keeps its case in a lower-case word. A tie changes
    nothing."""
    present = set(labels)
    cased = [c.isalpha() and c.swapcase() in present and c.swapcase() != c for c in word]
    voters = [c for c, k in zip(word[1:], cased[1:], strict=True) if k]
    upper = sum(c.isupper() for c in voters)
    lower = len(voters) - upper
    if upper == lower:
        return word
    out = []
    for i, (c, k) in enumerate(zip(word, cased, strict=True)):
        wrong = c.islower() if upper > lower else c.isupper() and i > 0
        if k and wrong and any(str(alt[0]) == c.swapcase() for alt in alternatives[i]):
            c = c.swapcase()
        out.append(c)
    return "".join(out)


def _kind(c: str) -> str:
    """``digit`` or ``letter`` for unambiguous characters, ``ambiguous`` or ``other`` else."""
    if c in TO_DIGIT or c in TO_UPPER:
        return "ambiguous"
    if c.isdigit():
        return "digit"
    return "letter" if c.isalpha() else "other"


def _among(char: str, alternatives: Sequence) -> bool:
    """Whether ``char`` (either case) is one of the ``(char, confidence)`` alternatives."""
    return any(str(alt[0]).lower() == char.lower() for alt in alternatives)
