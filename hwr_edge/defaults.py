"""The Recognizer's tuned defaults, shared with the CLI without importing OpenCV.

Chosen by ``python -m export accuracy --sweep`` (see docs/results-accuracy.md).
"""

REJECT_THRESHOLD = 0.3  # characters below this confidence print as the reject character
REJECT_CHAR = "?"
CONTEXT = True  # read each word as letters, digits or a code (charset.apply_context), one case
# misread words become the word of this lexicon they nearly are (not a sweep: measured with
# and without, docs/results-accuracy.md, "words read against an English lexicon")
LEXICON = "english"
# alternatives each character carries; the word rules choose among them (not a sweep: 3 and 6
# measured, docs/results-accuracy.md, "six alternatives for the word rules")
TOPK = 6
# ask the manifest's digits model too which digit a character read as one is (digits.py;
# measured with and without, docs/results-accuracy.md, "a second opinion on digits")
DIGIT_OPINION = True
