"""Which pieces read a slot: the whole glyph, a chain of its split pieces, or for a joined slot
the union of its glyphs or some of them apart.

Each piece is scored by the log-odds of its best class (that class's probability plus its
O/0, I/1, S/5, Z/2, B/8, G/6 look-alike's, clipped at +-``LOGIT_CLIP``), minus ``WIDE_COST`` per
typical character width it is wider than its class may be (``widths.max_width``, measured on
EMNIST). A chain of k >= 2 pieces spanning the glyph scores its mean piece log-odds, minus
``CHAR_COST`` per extra character, minus its width penalties; it replaces the whole glyph only
when it beats the whole glyph's score by ``SPLIT_MARGIN``, and only pieces at or above the
reject threshold can be in it (``best_chain``). Log-odds, because the classifier is ~0.99
sure of most merged glyphs too: they tell a 0.99 "U" from two 0.9999 "L"s where
log-probabilities cannot. A
joined slot (glyphs that may be one character's pieces) is read by the chain with the highest
sum of its pieces' log-odds (a reject counted as the reject threshold's), each character
adding ``JOIN_COST`` (``best_join``): read alone, the glyphs score as before, and their union
wins only when it beats them by ``JOIN_COST`` for each glyph it takes in. Constants chosen on
synthetic pages of their own (docs/results-accuracy.md, "Touching characters"); the
Recognizer's docstring says how these choices fit in the pipeline.
"""

from __future__ import annotations

import numpy as np

from hwr_edge.widths import max_width

LOGIT_CLIP = 7.0  # confidences are compared as log-odds, clipped to +-7 (p = 0.999)
CHAR_COST = 1.5  # cost of reading one more character in a slot (mean log-odds units)
WIDE_COST = 5.0  # cost per typical character width a piece is wider than its class may be
# a split must beat the whole glyph's score by this much: 2.0 since the default model has a
# "touching characters" class (seed-11 pages, other / touching errors: 0.5 657 / 1743,
# 1.0 642 / 1750, 2.0 617 / 1783, 3.0 609 / 1841; docs/results-accuracy.md)
SPLIT_MARGIN = 2.0
JOIN_COST = 1.0  # a joined slot: what reading two of its glyphs as one character costs


def piece_terms(slots: list, confidence: np.ndarray, labels: list[str]) -> np.ndarray:
    """Per piece: the log-odds of its best class (clipped to +-``LOGIT_CLIP``), its width
    penalty (``WIDE_COST`` per typical character width it is wider than its class may be,
    ``widths.max_width``) and 1.0 when it can be a character at all (confidence above 0:
    not a blob, a short mark or a non-character class), else 0.0."""
    width = np.array([piece.width for slot in slots for piece in slot.pieces])
    allowed = np.array([max_width(label) for label in labels])
    wide = WIDE_COST * np.maximum(width - allowed, 0.0)
    return np.stack([logit(confidence), wide, confidence > 0], axis=1)


def logit(p) -> np.ndarray:
    """Log-odds, clipped: 0.5 -> 0, 0.999 -> ~7; unlike the log-probability it still tells a
    0.99 from a 0.9999 confident class."""
    p = np.clip(np.asarray(p, np.float64), 1e-9, 1 - 1e-9)
    return np.clip(np.log(p / (1 - p)), -LOGIT_CLIP, LOGIT_CLIP)


def best_chain(
    slot, terms: np.ndarray, reject_threshold: float, floor: float = -np.inf, most: int = 0
):
    """Indices of the pieces that read ``slot``: the whole glyph, unless a chain of k >= 2
    pieces from the first to the last node scores ``SPLIT_MARGIN`` better, and above
    ``floor``. A chain's score is its pieces' mean log-odds minus ``CHAR_COST`` per extra
    character minus their width penalties; the whole glyph's is its log-odds minus its width
    penalty. A chain uses only pieces at or above the reject threshold (a split never
    multiplies rejects), and at most ``most`` of them when that is given."""
    if len(terms) == 1:
        return [0]
    if slot.joined:
        return best_join(slot, terms, logit(reject_threshold))
    whole = terms[0, 0] - terms[0, 1]
    best_score, chosen = max(whole + SPLIT_MARGIN, floor), [0]
    least = logit(reject_threshold)
    by_start = [i for i in range(1, len(terms)) if terms[i, 0] >= least]
    by_start.sort(key=lambda i: slot.pieces[i].start)
    for k in range(2, min(slot.nodes, most + 1) if most else slot.nodes):
        chain = chain_of(slot, terms[:, 0] - k * terms[:, 1], by_start, k)
        if chain is None:
            continue
        score = (chain[0] / k) - CHAR_COST * (k - 1)
        if score > best_score:
            best_score, chosen = score, chain[1]
    return chosen


def chain_score(slot, terms: np.ndarray, chain: list[int], reject_threshold: float) -> float:
    """The score ``best_chain`` (or ``best_join``) gives ``chain``: the whole glyph's with
    ``SPLIT_MARGIN``."""
    if slot.joined:
        values = join_values(terms, logit(reject_threshold))
        return float(sum(values[i] for i in chain))
    if chain == [0]:
        return float(terms[0, 0] - terms[0, 1] + SPLIT_MARGIN)
    k = len(chain)
    return float(np.mean(terms[chain, 0]) - np.sum(terms[chain, 1]) - CHAR_COST * (k - 1))


def slot_chains(
    slot, terms: np.ndarray, reject_threshold: float, floor: float = -np.inf
) -> list[list[int]]:
    """The readings of a slot with pieces: the whole glyph and, for each count of characters,
    the best chain of that many pieces; of a split glyph, only counts whose chains could score
    ``floor`` or more (``chain_score``: a mean log-odds of at most ``LOGIT_CLIP``, less
    ``CHAR_COST`` per extra character)."""
    least = logit(reject_threshold)
    by_start = [i for i in range(1, len(terms)) if slot.joined or terms[i, 0] >= least]
    by_start.sort(key=lambda i: slot.pieces[i].start)
    out = [[0]]
    most = slot.nodes - 1
    if not slot.joined and np.isfinite(floor):
        most = min(most, 1 + int((LOGIT_CLIP - floor) // CHAR_COST))
    for k in range(2, most + 1):
        if slot.joined:  # a chain's value is its pieces' sum, whatever their count
            values = join_values(terms, least)
        else:  # each piece's width penalty counts k times: the chain's mean pays their sum
            values = terms[:, 0] - k * terms[:, 1]
        chain = chain_of(slot, values, by_start, k)
        if chain is not None:
            out.append(chain[1])
    return out


def best_join(slot, terms: np.ndarray, floor: float) -> list[int]:
    """Indices of the pieces that read a joined slot (glyphs that may be one character's
    pieces): the chain from the first node to the last with the highest sum, over its pieces,
    of their log-odds (a reject counts as the reject threshold's) minus their width penalty
    plus ``JOIN_COST`` for each that can be a character. Read apart, the glyphs score as
    before; read as one, their union must beat them by ``JOIN_COST`` per glyph it takes in,
    except for glyphs that can be no character (a speck beside its letter: read alone a
    reject whatever its neighbours are)."""
    values = join_values(terms, floor)
    best = np.full(slot.nodes, -np.inf)
    back = np.zeros(slot.nodes, int)
    best[0] = 0.0
    for i, piece in enumerate(slot.pieces):  # in order of their start node
        if best[piece.start] + values[i] > best[piece.end]:
            best[piece.end] = best[piece.start] + values[i]
            back[piece.end] = i
    chain, node = [], slot.nodes - 1
    while node > 0:
        chain.append(int(back[node]))
        node = slot.pieces[back[node]].start
    return chain[::-1]


def join_values(terms: np.ndarray, floor: float) -> np.ndarray:
    """Each piece's value in a joined slot's chain (see ``best_join``)."""
    return np.maximum(terms[:, 0], floor) - terms[:, 1] + JOIN_COST * terms[:, 2]


def chain_of(slot, values: np.ndarray, by_start: list[int], k: int):
    """``(total, pieces)`` of the highest-total chain of exactly ``k`` pieces across the slot
    (``values`` per piece, ``by_start``: the split pieces sorted by start node); None when
    there is none."""
    best = np.full((k + 1, slot.nodes), -np.inf)
    back = np.zeros((k + 1, slot.nodes), int)
    best[0, 0] = 0.0
    for i in by_start:
        piece = slot.pieces[i]
        totals = best[:k, piece.start] + values[i]
        better = totals > best[1:, piece.end]
        best[1:, piece.end][better] = totals[better]
        back[1:, piece.end][better] = i
    if not np.isfinite(best[k, -1]):
        return None
    chain, node = [], slot.nodes - 1
    for step in range(k, 0, -1):
        i = back[step, node]
        chain.append(int(i))
        node = slot.pieces[i].start
    return float(best[k, -1]), chain[::-1]
