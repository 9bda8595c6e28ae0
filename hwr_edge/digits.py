"""A second opinion on which digit a character is, from a model of digits alone.

The default model reads letters and digits (EMNIST's 47 classes). Where a character may be
a digit and that model is unsure which, the manifest's digits model (LeNet-5 trained on
MNIST, its own crop convention) is asked too, and the row's probability for digits is shared
among them by the product of the two models' opinions. The two err on different crops: of
1,653 held-out EMNIST digits the main model alone reads 1,646 as the right digit, with the
digits model 1,650; of MNIST's 10,000 test digits 9,936 and 9,953 (docs/results-accuracy.md).
Letters keep their probabilities and the row its total for digits; the recognizer weighs
splits and joins of glyphs on the main model's probabilities alone, and the context rule
sees the surer digit when it reads a word as letters or digits.
"""

from __future__ import annotations

import numpy as np

from hwr_edge.normalize import normalize_mask

DIGIT_SHARE = 0.02  # a row whose digit classes hold less than this is not asked,
SURE_DIGIT = 0.98  # nor one whose best digit holds this much of its digits' share


class DigitOpinion:
    """Shares a row's digit probability by the product of the main model's and
    ``digits``' (a Classifier whose labels are all digits) opinions; ``labels`` are the main
    model's classes, which hold every digit the digits model reads."""

    def __init__(self, digits, labels: list[str]):
        self.digits = digits
        index = {c: i for i, c in enumerate(labels)}
        self.columns = np.array([index[c] for c in digits.labels], dtype=np.int64)

    def apply(self, probs: np.ndarray, masks: list[np.ndarray]) -> np.ndarray:
        """``probs`` (the main model's, one row per ink mask in ``masks``) with the digit
        probability shared anew in each row that has ``DIGIT_SHARE`` or more and whose best
        digit is unsure (under ``SURE_DIGIT`` of that; on held-out digits asking the sure
        ones too mended no reading, and took 4 to 30 times the rows)."""
        own = probs[:, self.columns]
        share = own.sum(axis=1)
        unsure = own.max(axis=1) < SURE_DIGIT * share
        rows = np.flatnonzero((share >= DIGIT_SHARE) & unsure)
        if len(rows) == 0:
            return probs
        crops = np.stack([normalize_mask(masks[r], self.digits.convention) for r in rows])
        joint = own[rows] * self.digits.predict_proba(crops)
        total = joint.sum(axis=1, keepdims=True)
        joint = np.where(total > 0, joint / np.maximum(total, 1e-30), own[rows] / share[rows, None])
        probs = probs.copy()
        probs[rows[:, None], self.columns] = joint * share[rows, None]
        return probs


def digit_opinion(clf, allowed: np.ndarray | None, threads: int | None):
    """A ``DigitOpinion`` for ``clf`` when it reads letters and digits, some digit is
    ``allowed`` (a charset mask, None for all) and the manifest's digits model is another
    model, of digits alone, all of them among ``clf``'s classes; else None."""
    from hwr_edge import registry
    from hwr_edge.classifier import Classifier

    digit_columns = [i for i, c in enumerate(clf.labels) if c.isdigit()]
    if not digit_columns or not any(c.isalpha() for c in clf.labels):
        return None
    if allowed is not None and not allowed[digit_columns].any():
        return None
    info = registry.resolve(None, charset="digits")
    if info.entry.get("sha256") == clf.info.get("sha256"):
        return None  # the main model itself: not loaded a second time
    registry.verify(info)
    digits = Classifier(info, threads=threads)
    if not all(c.isdigit() for c in digits.labels) or not set(digits.labels) <= set(clf.labels):
        return None  # a models folder whose manifest names no digits model of digits alone
    return DigitOpinion(digits, clf.labels)
