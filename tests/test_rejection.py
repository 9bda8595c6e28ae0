"""The build stage's probe of what a model's non-character classes reject."""

from __future__ import annotations

import numpy as np

from export.rejection import ICONS, PENS, icon_images, measure, rejected, run


def test_icons_are_distinct_drawings_at_each_pen_width():
    names, images = icon_images()
    assert len(names) == len(set(names)) == len(ICONS) * len(PENS)
    assert all(img.any() for img in images)
    thin, thick = images[0].astype(bool).sum(), images[len(PENS) - 1].astype(bool).sum()
    assert thick > thin  # the sun at pen 14 has more ink than at pen 5


def test_the_default_model_rejects_drawn_shapes_but_not_blank_characters():
    from hwr_edge import load_model

    clf = load_model()
    result = measure("edgenet-emnist47-int8", None, n=60)
    assert result["drawn"] > 0.8 and "runs" not in result
    assert len(result["icons_read_as_characters"]) == round((1 - result["icons"]) * 21)
    bar = np.zeros((1, 28, 28), np.uint8)
    bar[0, 3:25, 12:16] = 255  # a plain stroke: a 1 or an I, never rejected
    assert not rejected(clf, bar).any()


def test_cli_reports_a_bad_model_in_one_line(tmp_path, capsys):
    import argparse

    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"not a model")
    args = argparse.Namespace(model=[str(bad)], data_dir=None, n=10)
    assert run(args) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1
