"""How wide a character of each class may be: the width prior that tells a touching pair
read as one wide letter ("19" as an A, "LI" as a U) from a wide letter (an M, a T with a long
bar) that is not to be cut.

Widths are in typical character widths (``segment``: the page's median glyph width). The
table is the 97th percentile of each class's ink box aspect (width over height) in the EMNIST
images the 47-class models train on, over the median aspect of all of them; made by
``python -m export widths``, and a test checks it against the data. Lower-case letters of
x-height (a, e, n, r) are measured against their own height, not the line's, so their limit
is generous. A class not in the table (a model's own label) may be ``OTHER`` wide.
"""

from __future__ import annotations

OTHER = 1.5
MAX_WIDTH: dict[str, float] = {
    "0": 1.52,
    "1": 1.03,
    "2": 1.8,
    "3": 1.38,
    "4": 1.37,
    "5": 1.8,
    "6": 1.2,
    "7": 1.31,
    "8": 1.31,
    "9": 1.15,
    "A": 1.72,
    "B": 1.56,
    "C": 1.84,
    "D": 1.6,
    "E": 1.8,
    "F": 1.6,
    "G": 1.6,
    "H": 1.63,
    "I": 1.44,
    "J": 1.8,
    "K": 1.6,
    "L": 1.32,
    "M": 2.88,
    "N": 2.06,
    "O": 1.65,
    "P": 1.44,
    "Q": 1.59,
    "R": 1.79,
    "S": 1.6,
    "T": 2.06,
    "U": 1.92,
    "V": 1.65,
    "W": 2.4,
    "X": 1.6,
    "Y": 1.32,
    "Z": 2.3,
    "a": 2.4,
    "b": 1.2,
    "d": 1.39,
    "e": 2.06,
    "f": 1.38,
    "g": 1.34,
    "h": 1.29,
    "n": 2.06,
    "q": 1.44,
    "r": 1.86,
    "t": 1.47,
}


def max_width(label: str) -> float:
    """The widest a character read as ``label`` plausibly is, in typical character widths."""
    return MAX_WIDTH.get(label, OTHER)
