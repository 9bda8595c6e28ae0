"""Words read against a lexicon: which misreadings change, into what, and which never do."""

import pytest

from hwr_edge.errors import HwrError
from hwr_edge.lexicon import MIN_RATIO, MIN_UNKNOWN, load_lexicon

ENGLISH = load_lexicon("english")


def sure(text: str) -> list[list[tuple[str, float]]]:
    """Alternatives of a confident reading: each character alone at 0.99."""
    return [[(c, 0.99)] for c in text]


def test_a_misread_letter_becomes_the_word_its_alternatives_spell():
    alts = sure("HOVSE")
    alts[2] = [("V", 0.8), ("U", 0.15), ("Y", 0.02)]
    assert ENGLISH.correct(list("HOVSE"), alts) == "HOUSE"


def test_an_alternative_too_unlikely_leaves_the_reading():
    alts = sure("HOVSE")
    p = 0.8 * MIN_RATIO * 0.9  # just under the ratio the change needs
    alts[2] = [("V", 0.8), ("U", p)]
    assert ENGLISH.correct(list("HOVSE"), alts) is None


def test_a_word_of_the_lexicon_a_code_and_a_short_word_stay():
    alts = sure("HAVE")
    alts[0] = [("H", 0.6), ("W", 0.4)]
    assert ENGLISH.correct(list("HAVE"), alts) is None  # a word, however likely "WAVE" is
    assert ENGLISH.correct(list("KZGG"), sure("KZGG")) is None
    assert ENGLISH.correct(list("B4X"), sure("B4X")) is None  # a code: no letter for the 4
    alts = sure("501")
    alts[0] = [("5", 0.6), ("S", 0.4)]
    assert ENGLISH.correct(list("501"), alts) is None  # half digits or more: a number ("sol")
    alts = sure("NQ")
    alts[1] = [("Q", 0.6), ("O", 0.4)]
    assert ENGLISH.correct(list("NQ"), alts) is None  # two letters: too many words are near


def test_at_most_two_letters_change():
    alts = [[(c, 0.6), (t, 0.4)] for c, t in zip("XJVNP", "JUMPS", strict=True)]
    assert ENGLISH.correct(list("XJVNP"), alts) is None
    alts = [[(c, 0.6), (t, 0.4)] for c, t in zip("JVNP", "JUMP", strict=True)]
    assert ENGLISH.correct(list("JVNP"), alts) == "JUMP"


def test_case_digit_twins_and_rejects_stay():
    alts = sure("hING")
    alts[0] = [("h", 0.8), ("K", 0.1), ("k", 0.05)]  # both cases of k count together
    assert ENGLISH.correct(list("hING"), alts) == "KING"
    alts = sure("h0use")
    alts[1] = [("0", 0.7), ("D", 0.2)]  # 0 is an o when the word needs one
    alts[0] = [("h", 0.9)]
    assert ENGLISH.correct(list("h0use"), alts) == "house"  # the 0 of a word of letters: o
    alts = sure("Hovse")
    alts[2] = [("v", 0.7), ("u", 0.2)]
    assert ENGLISH.correct(list("Hovse"), alts) == "House"
    alts = sure("F?OG")
    alts[1] = [("R", 0.2), ("P", 0.1)]  # rejected: a symbol is never forced into a letter
    assert ENGLISH.correct(["F", "\ufffd", "O", "G"], alts) is None


def test_a_character_rejected_for_low_confidence_is_filled_when_the_word_needs_it():
    alts = sure("WE?K")
    alts[2] = [("C", 0.25), ("E", 0.2), ("L", 0.1)]  # read under the reject threshold
    read = ["W", "E", "\ufffd", "K"]
    assert ENGLISH.correct(read, alts, unsure=frozenset({2})) == "WEEK"
    assert ENGLISH.correct(read, alts) is None  # a symbol: stays
    alts[2] = [("C", 0.25), ("E", 0.25 * MIN_RATIO * 0.9)]  # E far less likely than C
    assert ENGLISH.correct(read, alts, unsure=frozenset({2})) is None
    alts = sure("X??K")  # two rejects and one more change: three changes, too many
    alts[1] = alts[2] = [("E", 0.2)]
    alts[0] = [("X", 0.6), ("W", 0.4)]
    assert ENGLISH.correct(["W", "\ufffd", "\ufffd", "K"], alts, frozenset({1, 2})) == "WEEK"
    assert ENGLISH.correct(["X", "\ufffd", "\ufffd", "K"], alts, frozenset({1, 2})) is None


def test_a_letter_read_as_no_character_is_filled_only_when_a_letter_is_likely_enough():
    read = ["E", "G", "G", "\ufffd"]  # the model's "not a character" class won the S
    alts = sure("EGG?")
    alts[3] = [("D", 0.17), ("S", 0.14), ("5", 0.03)]
    assert ENGLISH.correct(read, alts, unknown=frozenset({3})) == "EGGS"
    assert ENGLISH.correct(read, alts) is None  # a blob (rejected for its shape): stays
    alts[3] = [("D", 0.17), ("S", MIN_UNKNOWN * 0.9)]  # S all but ruled out: stays
    assert ENGLISH.correct(read, alts, unknown=frozenset({3})) is None
    alts = sure("?OO?")  # two marks read as no character in one word: not a word
    alts[0], alts[3] = [("B", 0.3)], [("K", 0.3)]
    assert ENGLISH.correct(["\ufffd", "O", "O", "\ufffd"], alts, unknown=frozenset({0, 3})) is None
    assert ENGLISH.correct(["B", "O", "O", "\ufffd"], alts, unknown=frozenset({3})) == "BOOK"


def test_load_a_word_file_or_none(tmp_path):
    words = tmp_path / "parts.txt"
    words.write_text("# part names\nwidget\nSprocket\n", encoding="utf-8")
    parts = load_lexicon(words)
    assert parts.words == {"widget", "sprocket"}
    alts = sure("SPROCKFT")
    alts[6] = [("F", 0.7), ("E", 0.3)]
    assert parts.correct(list("SPROCKFT"), alts) == "SPROCKET"
    assert load_lexicon(None) is None and load_lexicon("none") is None


@pytest.mark.parametrize("spec", ["no-such-lexicon", "missing/words.txt"])
def test_an_unreadable_lexicon_is_a_clear_error(spec):
    with pytest.raises(HwrError, match="cannot read lexicon"):
        load_lexicon(spec)


def test_the_bundled_lexicon_holds_common_words_only():
    assert {"house", "water", "milk", "bread", "the", "and"} <= ENGLISH.words
    assert 30_000 < len(ENGLISH.words) < 60_000
    assert all(len(w) >= 3 and w.isascii() and w.isalpha() and w.islower() for w in ENGLISH.words)


def test_a_letter_from_beyond_the_alternatives_counts_as_the_least_likely():
    # the context rule read a 4 in a word of letters as its best letter, A, outside the top 3
    alts = sure("HAUSE")
    alts[1] = [("4", 0.9), ("O", 0.05), ("9", 0.03)]
    assert ENGLISH.correct(list("HAUSE"), alts) == "HOUSE"
    alts[1] = [("4", 0.9), ("O", 0.0004), ("9", 0.03)]  # O too unlikely to be tried at all
    assert ENGLISH.correct(list("HAUSE"), alts) is None


# EMNIST-47's letters: 26 capitals, and the 11 lower-case letters that are classes of their own
LABELS = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabdefghnqrt")


@pytest.mark.parametrize(
    "read, written",
    [
        ("qUICK", "quick"),  # a q by its shape outweighs four capitals told by their height
        ("rOOM", "room"),
        ("LaZY", "Lazy"),  # capitalized changes the fewest letters
        ("CAt", "CAT"),  # t by its shape against C and A by theirs
        ("MaP", "Map"),
        ("fIX", "FIX"),  # the classifier does not read f's case: it weighs one letter
    ],
)
def test_a_word_of_the_lexicon_read_in_mixed_case_is_written_in_one(read, written):
    assert ENGLISH.one_case(read, LABELS) == written


@pytest.mark.parametrize("read", ["quick", "QUICK", "Quick", "aBC", "McDLk", "H3LLO"])
def test_words_in_one_case_and_words_not_in_the_lexicon_keep_their_case(read):
    assert ENGLISH.one_case(read, LABELS) == read


@pytest.mark.parametrize(
    "first, second, joined",
    [
        ("OPE", "N", True),  # a wide gap inside OPEN
        ("WATE", "R", True),
        ("O", "PEN", True),  # one of them no word: a letter alone
        ("BED", "ROOM", False),  # two words stay two words
        ("NO", "TE", True),  # NO is under three letters: no word of its own here
        ("AN", "T", False),  # ANT is under four letters
        ("CAT", "22", False),  # a number is never part of a word
        ("KZ", "GG", False),  # together no word
    ],
)
def test_neighbouring_words_are_joined_only_into_a_word(first, second, joined):
    assert ENGLISH.joins(first, second) is joined


def test_a_digit_in_a_word_of_letters_may_be_its_letter_twin():
    alts = sure("EA5T")
    alts[2] = [("5", 0.9), ("S", 0.08)]  # the context rule kept a confident 5: a code
    assert ENGLISH.correct(list("EA5T"), alts) == "EAST"
    alts = sure("B4X")
    alts[1] = [("4", 0.6), ("O", 0.4)]  # a 4 that may be an O
    assert ENGLISH.correct(list("B4X"), alts) == "BOX"
