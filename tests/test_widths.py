"""The per-class width prior: measured on EMNIST, and what it lets the recognizer cut."""

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from export import widths as measure_widths
from hwr_edge.chains import WIDE_COST, piece_terms
from hwr_edge.widths import MAX_WIDTH, OTHER, max_width

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def box_images(sizes) -> np.ndarray:
    """28 x 28 images, each a filled ink box of (width, height)."""
    x = np.zeros((len(sizes), 28, 28), np.uint8)
    for i, (w, h) in enumerate(sizes):
        x[i, 2 : 2 + h, 2 : 2 + w] = 255
    return x


def test_class_widths_are_a_percentile_over_the_typical_aspect():
    # class 0: aspects 0.5 and 1.0; class 1: 1.0, 1.0 and 2.0; the median of all is 1.0
    x = box_images([(10, 20), (20, 20), (20, 20), (20, 20), (20, 10)])
    y = np.array([0, 0, 1, 1, 1])
    table = measure_widths.class_widths(x, y, ["I", "M", "unused"], q=100)
    assert table == {"I": 1.0, "M": 2.0}
    assert measure_widths.class_widths(x, y, ["I", "M"], q=0) == {"I": 0.5, "M": 1.0}


def test_an_empty_image_has_no_aspect():
    x = box_images([(5, 10)])
    assert measure_widths.aspects(np.concatenate([x, np.zeros_like(x)])).tolist() == [0.5, 0.0]


@pytest.mark.skipif(not DATA.is_dir(), reason="../shared/data is absent")
def test_the_shipped_table_is_what_emnist_measures():
    assert measure_widths.measure(DATA / "emnist") == MAX_WIDTH


def test_wide_letters_may_be_wide_and_narrow_ones_may_not():
    # an M or a W is written wider than two typical letters; a 1 is never a typical letter wide
    assert max_width("M") > 2.5 and max_width("W") > 2.2
    assert max_width("1") < 1.1 and max_width("I") < max_width("A")
    assert max_width("touching characters") == OTHER


def test_only_the_width_beyond_the_class_s_limit_is_penalized():
    slot = SimpleNamespace(pieces=[SimpleNamespace(width=w) for w in (2.5, 2.5, 1.3)])
    terms = piece_terms([slot], np.full(3, 0.9), ["M", "A", "1"])
    assert terms[0, 1] == 0.0  # an M 2.5 typical widths wide is an M
    assert terms[1, 1] == pytest.approx(WIDE_COST * (2.5 - max_width("A")))
    assert terms[2, 1] == pytest.approx(WIDE_COST * (1.3 - max_width("1")))


def test_a_missing_data_folder_is_a_one_line_error(tmp_path, capsys):
    args = SimpleNamespace(data_dir=tmp_path / "nowhere", check=True)
    assert measure_widths._run(args) == 2
    out = capsys.readouterr().out.strip()
    assert out.startswith("error: ") and "\n" not in out
