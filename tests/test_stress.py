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


def test_stress_pages_cycle_through_the_named_bases_and_refuse_an_unknown_one(capsys, monkeypatch):
    from export.__main__ import main

    drawn, make_page = [], synth.make_page

    def recorded(rng, cond, *args, **kwargs):
        drawn.append(cond)
        return make_page(rng, cond, *args, **kwargs)

    monkeypatch.setattr(synth, "make_page", recorded)
    stress.run_probe(Recognizer(threads=1), "none", 3, "strokes", bases=("webcam", "grid"))
    assert drawn == [synth.CONDITIONS[c] for c in ("webcam", "grid", "webcam")]
    with pytest.raises(SystemExit) as exit_info:
        main(["stress", "--bases", "clean", "squared"])
    assert exit_info.value.code == 2
    assert "invalid choice: 'squared'" in capsys.readouterr().err


def test_stress_options_set_the_pages_conditions(capsys, monkeypatch):
    from export.__main__ import main

    drawn, make_page = [], synth.make_page

    def recorded(rng, cond, *args, **kwargs):
        drawn.append(cond)
        return make_page(rng, "clean", *args, **kwargs)  # a small page: the options are checked

    monkeypatch.setattr(synth, "make_page", recorded)
    argv = ["stress", "--pages", "1", "--probes", "none", "--bases", "shadow"]
    main([*argv, "--size", "phone", "--char-h", "24", "36", "--dense"])
    assert drawn[-1] == synth.Condition(
        size="phone",
        char_h=(24, 36),
        shadow=True,
        lines=stress.DENSE_LINES,
        line_pitch=stress.DENSE_PITCH,
    )
    main([*argv, "--prose", "--rotate", "20"])
    assert drawn[-1] == synth.Condition(shadow=True, prose=True, rotate=20.0)
    assert "| none | 1 |" in capsys.readouterr().out
