"""Charset masks and the look-alike context rule."""

from __future__ import annotations

import string

import numpy as np
import pytest

from hwr_edge.charset import (
    apply_context,
    charset_mask,
    charset_transfer,
    descender_transfer,
    harmonize_case,
    lone_letter,
    sure_kind,
    tall_lower_case,
)
from hwr_edge.errors import HwrError

MNIST = list(string.digits)
EMNIST47 = list(string.digits + string.ascii_uppercase + "abdefghnqrt")


def allowed(spec, labels):
    mask = charset_mask(spec, labels)
    return "".join(c for c, ok in zip(labels, mask, strict=True) if ok)


def test_no_spec_means_no_mask():
    assert charset_mask(None, EMNIST47) is None


def test_transfer_gives_a_disallowed_look_alike_to_its_twin():
    probs = np.zeros((2, len(EMNIST47)), np.float32)
    zero, big_o, k = EMNIST47.index("0"), EMNIST47.index("O"), EMNIST47.index("K")
    probs[0, [zero, big_o]] = 0.7, 0.3  # reads as "0" in an upper-case field: an O
    probs[1, [k, zero]] = 0.9, 0.1  # a "K" in a digits field stays unknown
    upper = probs @ charset_transfer("upper", EMNIST47)
    assert upper[0, big_o] == pytest.approx(1.0) and upper[0, zero] == 0
    digits = probs @ charset_transfer("digits", EMNIST47)
    assert digits[1].sum() == pytest.approx(0.1) and digits[1, k] == 0
    assert charset_transfer(None, EMNIST47) is None
    big_g, six = EMNIST47.index("G"), EMNIST47.index("6")
    probs[0] = 0.0
    probs[0, big_g] = 1.0  # a round 6 read as G, in a digits field
    assert (probs @ charset_transfer("digits", EMNIST47))[0, six] == pytest.approx(1.0)


def test_named_charsets_on_the_47_classes():
    assert allowed("digits", EMNIST47) == string.digits
    assert allowed("upper", EMNIST47) == string.ascii_uppercase
    assert allowed("alnum", EMNIST47) == "".join(EMNIST47)
    assert allowed("letters", EMNIST47) == string.ascii_uppercase + "abdefghnqrt"


def test_lower_keeps_case_merged_capitals():
    # "C" also stands for "c" (no class of its own); "A" does not, "a" has its own class.
    got = allowed("lower", EMNIST47)
    assert "C" in got and "O" in got and "S" in got
    assert "A" not in got and "B" not in got
    assert set("abdefghnqrt") <= set(got)
    assert not set(string.digits) & set(got)


def test_explicit_characters():
    assert allowed("0123456789+-", EMNIST47) == string.digits
    assert allowed("AB7", EMNIST47) == "7AB"
    assert allowed("xy", EMNIST47) == "XY"


def test_mask_shape_and_type():
    mask = charset_mask("digits", EMNIST47)
    assert mask.shape == (47,) and mask.dtype == bool and mask.sum() == 10


@pytest.mark.parametrize("spec", ["letters", "upper", "!?#"])
def test_no_overlap_is_an_error(spec):
    with pytest.raises(HwrError, match="allows none of the model's classes"):
        charset_mask(spec, MNIST)


def test_empty_spec_is_an_error():
    with pytest.raises(HwrError, match="empty"):
        charset_mask("", MNIST)


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("2O24", "2024"),  # mostly digits: O -> 0
        ("1S9B", "1598"),
        ("I23", "123"),
        ("HELL0", "HELLO"),  # mostly letters: 0 -> O
        ("F1ND", "FIND"),
        ("he110", "hello"),  # lower-case word: 1 -> l, 0 -> o
        ("5ALE", "SALE"),
        ("Z00M", "ZOOM"),
        ("8ED", "BED"),
        ("4G12", "4612"),  # a G is a 6 in a number
        ("SO", "SO"),  # only look-alikes: no majority, unchanged
        ("A1B2", "AIBZ"),
        ("A4", "A4"),  # tie
        ("", ""),
    ],
)
def test_context_rule(word, expected):
    assert apply_context(word) == expected


def test_context_rule_with_alternatives():
    alts_with = [[("O", 0.6), ("0", 0.3)], [("1", 0.9)], [("2", 0.9)], [("3", 0.9)]]
    assert apply_context("O123", alts_with) == "0123"
    alts_without = [[("O", 0.6), ("Q", 0.3)], [("1", 0.9)], [("2", 0.9)], [("3", 0.9)]]
    assert apply_context("O123", alts_without) == "O123"


def test_context_reads_a_word_as_its_likeliest_kind():
    # the G is 0.6 sure and 6 is its second reading: between digits it is a 6
    alts = [[("4", 0.99)], [("G", 0.6), ("6", 0.35)], [("1", 0.98)], [("2", 0.97)]]
    assert apply_context("4G12", alts) == "4612"
    assert apply_context("AG", [[("A", 0.99)], [("G", 0.6), ("6", 0.35)]]) == "AG"


def test_a_lone_letter_that_is_no_word_reads_as_its_digit_look_alike():
    # "APPLES 6" (examples/pencil.jpg): a quantity is likelier than a lone G, while a sure
    # lone letter, a lone A or I (words of one letter) and a digit stay
    assert lone_letter("G", [("G", 0.72), ("6", 0.26)]) == "6"
    assert lone_letter("O", [("O", 0.7), ("D", 0.2), ("0", 0.05)]) == "0"  # its look-alike
    assert lone_letter("L", [("L", 0.95), ("1", 0.03)]) == "L"
    assert lone_letter("A", [("A", 0.6), ("4", 0.35)]) == "A"
    assert lone_letter("x", [("x", 0.9)]) == "x"  # no digit among its alternatives
    assert lone_letter("7", [("7", 0.6), ("T", 0.4)]) == "7"


def test_context_keeps_a_confident_mix_of_letters_and_digits():
    alts = [[("B", 0.95), ("8", 0.03)], [("1", 0.98)], [("2", 0.97)]]
    assert apply_context("B12", alts) == "B12"  # a form's "B12" is not forced to "812"
    alts[0] = [("B", 0.55), ("8", 0.4)]
    assert apply_context("B12", alts) == "812"


def test_context_keeps_a_confident_digit_inside_a_code():
    # serial numbers and postcodes mix kinds: a 7 the classifier is sure of stays a 7 even
    # between letters (a decoder that charged 3 nats per change of kind turned "AMW7K"
    # into "AMWTK", and a video of a static code flickered between the two)
    sure = [[(c, 0.99)] for c in "AMW"] + [[("7", 0.99), ("T", 0.005)], [("K", 0.99)]]
    assert apply_context("AMW7K", sure) == "AMW7K"
    code = [[("U", 0.9)], [("4", 0.95), ("A", 0.03)], [("F", 0.9)], [("R", 0.9)]]
    assert apply_context("U4FR2", [*code, [("2", 0.9), ("Z", 0.08)]]) == "U4FR2"
    unsure = [[(c, 0.99)] for c in "AMW"] + [[("7", 0.6), ("T", 0.35)], [("K", 0.99)]]
    assert apply_context("AMW7K", unsure) == "AMWTK"


def test_context_counts_o_and_0_as_one_shape():
    # the classifier's split between O and 0 is noise: "R00M" with confident R and M is a
    # word, not a code (examples/exif-rotated.jpg read "R00M 42" without this)
    round_ = [("0", 0.8), ("O", 0.15), ("D", 0.03)]
    assert apply_context("R00M", [[("R", 0.99)], round_, round_, [("M", 0.99)]]) == "ROOM"
    assert apply_context("2O0", [[("2", 0.99)], round_[::-1], round_]) == "200"


def test_context_prefers_the_look_alike_to_the_best_letter():
    # a bar read as 1 in a word: I (its look-alike), not L, though L scored higher
    alts = [[("T", 0.99)], [("1", 0.5), ("L", 0.3), ("I", 0.2)], [("N", 0.99)]]
    assert apply_context("T1N", alts) == "TIN"
    assert apply_context("t1n", [[("t", 0.99)], alts[1], [("n", 0.99)]]) == "tln"


def test_context_takes_no_look_alike_the_classifier_all_but_ruled_out():
    # a 7 read as Z in a number: its twin 2 is among the alternatives, but at a hundredth of
    # a percent; the 7 the classifier gave a third is the digit it reads as
    alts = [[("3", 0.99)], [("2", 0.9)], [("Z", 0.66), ("7", 0.33), ("2", 0.0001)]]
    assert apply_context("32Z", alts) == "327"
    alts[2] = [("Z", 0.66), ("7", 0.2), ("2", 0.1)]
    assert apply_context("32Z", alts) == "322"


def test_sure_kind_needs_the_characters_ten_times_likelier_of_one_kind():
    three = [("3", 0.99), ("Z", 0.005)]
    assert sure_kind([three]) == "digit"
    assert sure_kind([[("E", 0.98)], [("F", 0.9), ("7", 0.01)]]) == "letter"
    assert sure_kind([[("Z", 0.6), ("2", 0.35)]]) is None  # a 2 read as Z: not sure
    assert sure_kind([[("0", 0.7), ("O", 0.3)]]) is None  # O and 0 are one shape
    assert sure_kind([[("5", 0.6), ("S", 0.39)], three]) == "digit"  # the 3 settles it
    assert sure_kind([]) is None


def test_context_leaves_rejected_characters_out():
    alts = [[("4", 0.99)], [("?", 0.0)], [("O", 0.6), ("0", 0.35)], [("2", 0.97)]]
    assert apply_context("4?O2", alts) == "4?02"


def test_descender_transfer_reads_a_g_on_the_baseline_as_9():
    t = descender_transfer(EMNIST47, None)
    probs = np.zeros((1, len(EMNIST47)), np.float32)
    probs[0, EMNIST47.index("g")], probs[0, EMNIST47.index("9")] = 0.7, 0.2
    probs[0, EMNIST47.index("q")] = 0.1
    moved = probs @ t
    assert moved[0, EMNIST47.index("9")] == pytest.approx(1.0)
    assert moved[0, EMNIST47.index("g")] == 0
    assert descender_transfer(EMNIST47, charset_mask("letters", EMNIST47)) is None
    assert descender_transfer(list("0123456789"), None) is None


def alts(word, other=None):
    """Top-2 alternatives per character: itself, then ``other[i]`` (or its swapped case)."""
    other = other or word.swapcase()
    return [[(c, 0.6), (o, 0.4)] for c, o in zip(word, other, strict=True)]


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("FIfTH", "FIFTH"),  # capitals: the f among them becomes F
        ("fEED", "FEED"),  # the first letter follows an upper-case word too
        ("heRe", "here"),  # lower case: R -> r
        ("Here", "Here"),  # a capitalized word keeps its capital
        ("Ef", "Ef"),  # only f votes: a lower-case word with a capital first letter
        ("COOL", "COOL"),  # C, O, L have no lower-case class: nothing votes
        ("fT", "FT"),
        ("heLLO", "hello"),  # a lower-case word: its case-merged L, L, O in lower case too
        ("HeLLO", "Hello"),  # only e votes: a capitalized lower-case word
    ],
)
def test_harmonize_case_on_the_47_classes(word, expected):
    assert harmonize_case(word, alts(word), EMNIST47) == expected


def test_harmonize_case_takes_no_case_the_classifier_all_but_ruled_out():
    # an upper-case majority (the R and the E vote) and a q whose Q the classifier gave 0.3%
    word = "qREE"
    three = [[("q", 0.5), ("9", 0.4), ("Q", 0.003)], *alts(word)[1:]]
    assert harmonize_case(word, three, EMNIST47) == "qREE"
    three[0][2] = ("Q", 0.05)
    assert harmonize_case(word, three, EMNIST47) == "QREE"


def test_harmonize_case_writes_merged_letters_in_lower_case_only_in_a_word_with_x_height():
    # "hello" handwritten: the l's are as tall as the h, the o is x-height: all lower case
    short = [False, True, False, False, True]
    assert harmonize_case("heLLO", alts("heLLO"), EMNIST47, short) == "hello"
    # a word all of capital height is written in capitals, whatever the classifier read:
    # "rn" misread in a capital M leaves "ILK" as they are
    assert harmonize_case("rnILK", alts("rnILK"), EMNIST47, [False] * 5) == "rnILK"
    assert harmonize_case("HeLLO", alts("HeLLO"), EMNIST47, [False] * 5) == "HeLLO"


def test_x_height_merged_letters_vote_for_lower_case_and_tall_ones_for_upper_case():
    # "mom", "zoo": no letter with a class for each case, their height alone says lower case
    assert harmonize_case("MOM", alts("MOM"), EMNIST47, [True] * 3) == "mom"
    assert harmonize_case("ZOO", alts("ZOO"), EMNIST47, [True] * 3) == "zoo"
    assert harmonize_case("MOM", alts("MOM"), EMNIST47, [False] * 3) == "MOM"
    # a capitalized word: its first letter is tall and does not vote
    assert harmonize_case("ROOM", alts("ROOM"), EMNIST47, [False, True, True, True]) == "Room"
    # "WEST" with its T read as t: the S as tall as the E says upper case
    assert harmonize_case("WESt", alts("WESt"), EMNIST47, [False] * 4) == "WEST"
    assert harmonize_case("WESt", alts("WESt"), EMNIST47) == "WESt"  # no heights: a tie
    assert harmonize_case("usEd", alts("usEd"), EMNIST47, [True, True, False, False]) == "used"
    assert harmonize_case("NOtE", alts("NOtE"), EMNIST47, [False] * 4) == "NOTE"


def test_a_letter_whose_case_the_classifier_reads_outweighs_letters_told_by_height():
    # "STOP", "HOUSE" written smaller than the rest of the line: S, O, U read as x-height,
    # but the T and the E are capitals by their shape (t and e are classes of their own)
    assert harmonize_case("STOP", alts("STOP"), EMNIST47, [True, False, True, True]) == "STOP"
    assert (
        harmonize_case("HOUSE", alts("HOUSE"), EMNIST47, [False, True, True, True, False])
        == "HOUSE"
    )
    # a lower-case word still wins against one capital read in it: "mouse" with its e as E
    assert harmonize_case("MOUSE", alts("MOUSE"), EMNIST47, [True] * 5) == "mouse"


def test_f_and_F_do_not_vote_and_are_written_in_their_word_s_case():
    # the classifier reads a handwritten F as f about half the time: capital words it left
    # in mixed case ("LGfK", "BfD") or turned to lower case ("ffM": two votes against the M's)
    assert harmonize_case("LGfK", alts("LGfK"), EMNIST47, [False] * 4) == "LGFK"
    assert harmonize_case("BfD", alts("BfD"), EMNIST47, [False] * 3) == "BFD"
    assert harmonize_case("ffM", alts("ffM"), EMNIST47, [False] * 3) == "FFM"
    # and lower-case words with an f read as F: the x-height o decides
    assert harmonize_case("OF", alts("OF"), EMNIST47, [True, False]) == "of"
    assert harmonize_case("OFF", alts("OFF"), EMNIST47, [True, False, False]) == "off"
    # a first f still breaks a tie: "fox" with its x as tall as a capital
    assert harmonize_case("fOX", alts("fOX"), EMNIST47, [False, True, False]) == "fox"


def test_a_first_letter_in_lower_case_breaks_a_tie_and_a_descending_p_or_y_votes():
    # "quick" with its U tall by a slip of the pen and its C x-height: the q breaks the tie
    short = [True, False, False, True, False]
    assert harmonize_case("qUICK", alts("qUICK"), EMNIST47, short) == "quick"
    # alone, a lower-case first letter decides nothing ("fK": an F misread)
    assert harmonize_case("fK", alts("fK"), EMNIST47, [False, False]) == "fK"
    # "up": the P reaches below the line, so the word is lower case, its first letter too
    assert harmonize_case("UP", alts("UP"), EMNIST47, [True, True], [False, True]) == "up"
    assert harmonize_case("UP", alts("UP"), EMNIST47, [False, True], [False, True]) == "Up"
    assert harmonize_case("UP", alts("UP"), EMNIST47, [False, False], [False, False]) == "UP"
    # "Sky", "Up" with no letter measured x-height: the descending y or p is lower case
    # enough for the case-merged letters after the first
    tall = [False] * 3
    assert harmonize_case("SKY", alts("SKY"), EMNIST47, tall, [False, False, True]) == "Sky"
    assert harmonize_case("SKY", alts("SKY"), EMNIST47, tall, [False] * 3) == "SKY"
    assert harmonize_case("UP", alts("UP"), EMNIST47, [False, False], [False, True]) == "Up"


def test_in_a_lower_case_word_a_dotted_bar_is_an_i_and_a_plain_one_an_l():
    short = [True, False, False, False]
    dotted = [False, True, False, False]
    # "milk" read "MILK": the I has its dot (two pieces), the L is a bare bar
    assert harmonize_case("MILK", alts("MILK"), EMNIST47, short, None, dotted) == "milk"
    assert harmonize_case("MIIK", alts("MIIK"), EMNIST47, short, None, dotted) == "milk"
    # in capitals nothing changes
    assert harmonize_case("MILK", alts("MILK"), EMNIST47, [False] * 4, None, [False] * 4) == "MILK"
    # a dot votes for lower case, but a word without an x-height letter stays as it is (a
    # capital I broken in two looks like an i)
    assert harmonize_case("MILK", alts("MILK"), EMNIST47, [False] * 4, None, dotted) == "MILK"
    # "with": the w is x-height, the i has its dot, the t and h are classes of their own
    assert (
        harmonize_case(
            "WITh",
            alts("WITh"),
            EMNIST47,
            [True, False, False, False],
            None,
            [False, True, False, False],
            True,
        )
        == "with"
    )


def test_in_a_lower_case_word_an_x_height_bar_without_its_dot_is_an_i():
    # "soil" with the i's dot lost (faint, or merged into the stem): before, an l
    no_dots = [False] * 4
    short = [True, True, True, False]
    assert harmonize_case("SOIL", alts("SOIL"), EMNIST47, short, None, no_dots) == "soil"
    # a bar as tall as the l is an l; in capitals nothing changes; the bar does not vote (in
    # capitals of uneven height, "MILK" with a small I, it would make "Milk")
    tall_bar = [True, True, False, False]
    assert harmonize_case("SOIL", alts("SOIL"), EMNIST47, tall_bar, None, no_dots) == "soll"
    assert harmonize_case("SOIL", alts("SOIL"), EMNIST47, [False] * 4, None, no_dots) == "SOIL"
    assert (
        harmonize_case("MILK", alts("MILK"), EMNIST47, [False, True, False, False], None, no_dots)
        == "MILK"
    )


def test_inside_a_line_a_first_letter_of_no_shape_follows_its_lower_case_word():
    # "keys", "lazy", "jam", "ice" inside a line: their K, I/L and J have one class for both
    # cases and no height or descent to tell them, the rest of the word is lower case
    assert (
        harmonize_case("KeYS", alts("KeYS"), EMNIST47, [False, True, True, True], None, None, True)
        == "keys"
    )
    short, dotted = [False, True, True, True], [False] * 4
    assert harmonize_case("IaZY", alts("IaZY"), EMNIST47, short, None, dotted, True) == "lazy"
    assert (
        harmonize_case("JaM", alts("JaM"), EMNIST47, [False, True, True], None, None, True) == "jam"
    )
    assert (
        harmonize_case(
            "ICe", alts("ICe"), EMNIST47, [False, True, True], None, [True, False, False], True
        )
        == "ice"
    )
    # an F, whose case the classifier does not read: "fox" inside a line, "Fox" first
    assert (
        harmonize_case("FOX", alts("FOX"), EMNIST47, [False, True, True], None, None, True) == "fox"
    )
    assert harmonize_case("FOX", alts("FOX"), EMNIST47, [False, True, True]) == "Fox"
    # the first word of a line keeps its capital; so does a word in capitals inside a line
    assert harmonize_case("KeYS", alts("KeYS"), EMNIST47, [False, True, True, True]) == "Keys"
    assert harmonize_case("KEYS", alts("KEYS"), EMNIST47, [False] * 4, None, None, True) == "KEYS"
    # a letter whose height tells its case keeps the case its height gives: a tall O
    assert (
        harmonize_case("OVeR", alts("OVeR"), EMNIST47, [False, True, True, True], None, None, True)
        == "Over"
    )


def test_harmonize_case_needs_the_other_case_among_the_alternatives():
    assert harmonize_case("FIfTH", alts("FIfTH", "FIgTH"), EMNIST47) == "FIfTH"


def test_a_tall_x_height_lower_case_letter_in_a_word_of_capitals_is_a_capital():
    def read(word, alternatives, short):
        return tall_lower_case(word, alternatives, EMNIST47, short)

    r_or_t = [("r", 0.65), ("T", 0.33), ("F", 0.01)]
    cat = [[("C", 1.0)], [("A", 1.0)], r_or_t]
    assert read("CAr", cat, [False] * 3) == "CAT"  # the r is as tall as the A
    assert read("CAr", cat, [False, False, True]) == "CAr"  # an x-height r stays
    only_e = [[("W", 1.0)], [("e", 1.0)], [("V", 1.0)]]
    assert read("WeV", only_e, [False] * 3) == "WeV"  # no letter says the word is in capitals
    assert read("WEe", [[("W", 1.0)], [("E", 1.0)], [("e", 1.0)]], [False] * 3) == "WEE"
    ran = [[("r", 1.0)], [("a", 1.0)], [("n", 1.0)]]
    assert read("ran", ran, [False] * 3) == "ran"  # lower case only, all of one height
    tea = [[("T", 1.0)], [("e", 1.0)], [("a", 0.9), ("A", 0.1)]]
    assert read("Tea", tea, [False, True, True]) == "Tea"
    assert read("Tbd", [[("T", 1.0)], [("b", 1.0)], [("d", 1.0)]], [False] * 3) == "Tbd"
