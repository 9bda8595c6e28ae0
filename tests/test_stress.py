"""Stress probes: each fault changes the photo as it says, and the reader copes with chalk."""

import numpy as np
import pytest

from export import stress, synth
from hwr_edge import Recognizer


@pytest.mark.parametrize("probe", [p for p in stress.PROBES if p != "none"])
def test_every_probe_changes_the_photo_and_keeps_it_a_bgr_image(probe):
    page = synth.make_page(np.random.default_rng(0), "clean", "strokes")
    out = stress.PROBES[probe](page.image, page, np.random.default_rng(1))
    assert out.dtype == np.uint8 and out.ndim == 3 and out.shape[2] == 3
    if probe == "small":
        assert out.shape[0] == page.image.shape[0] // 2
    else:
        assert out.shape == page.image.shape and not np.array_equal(out, page.image)


def test_chalk_pages_read_as_well_as_the_pages_themselves():
    recognizer = Recognizer(threads=1)
    plain = stress.run_probe(recognizer, "none", 4, "strokes")
    chalk = stress.run_probe(recognizer, "chalk", 4, "strokes")
    assert plain["chars"] == chalk["chars"] > 100
    assert chalk["errors"] <= plain["errors"] + 2
