"""The Recognizer's tuned defaults, shared with the CLI without importing OpenCV.

Chosen by ``python -m export accuracy --sweep`` (see docs/results-accuracy.md).
"""

REJECT_THRESHOLD = 0.3  # characters below this confidence print as the reject character
REJECT_CHAR = "?"
CONTEXT = True  # resolve O/0, I/1, S/5, Z/2, B/8 inside words by the word's majority
