"""Form pages: the comb's drawing as its variant says, and the benchmark's report."""

import numpy as np
import pytest

from export import forms
from export.__main__ import main
from hwr_edge import Recognizer


def walls(photo: np.ndarray, top: int, bottom: int) -> int:
    """How many upright lines run dark from row ``top`` to ``bottom`` of the photo."""
    columns = np.flatnonzero((photo[top:bottom, :, 0] < 150).all(axis=0))
    return 0 if columns.size == 0 else int(np.count_nonzero(np.diff(columns) > 1)) + 1


def test_a_comb_has_a_wall_between_each_two_cells_and_ticks_stand_on_its_line():
    boxes = forms.form_photo(["    "], np.random.default_rng(0))  # four empty cells
    assert walls(boxes, 155, 195) == 5  # both ends and three between the cells
    ticks = forms.form_photo(["    "], np.random.default_rng(0), ticks=True)
    assert walls(ticks, 155, 195) == 0  # no walls up the cells ...
    assert walls(ticks, 186, 196) == 5  # ... but ticks at their foot


def test_the_forms_benchmark_reads_its_fields_and_refuses_an_unknown_variant(capsys):
    result = forms.run(Recognizer(threads=1), "boxes", 2, "strokes")
    assert result["fields"] >= 2 and result["chars"] > 10
    assert result["exact"] >= result["fields"] - 1 and result["errors"] <= 2
    assert main(["forms", "--variants", "boxed"]) == 2
    assert "unknown variant 'boxed'" in capsys.readouterr().out


@pytest.mark.parametrize("variant", ["ticks", "label", "empty_cell"])
def test_each_variant_writes_the_fields_its_report_expects(variant):
    result = forms.run(Recognizer(threads=1), variant, 1, "strokes", seed=1)
    assert result["chars"] > 4 and result["errors"] <= 2
