"""Synthetic page generator: sizes, ground truth, determinism, EXIF helper, CLI output."""

import dataclasses
import json
import string

import cv2
import numpy as np
import pytest

from export import synth
from hwr_edge.imageio import load_image


@pytest.mark.parametrize("condition", [c for c in synth.CONDITIONS if c != "phone_12mp"])
def test_every_condition_renders_with_ground_truth(condition):
    page = synth.make_page(np.random.default_rng(0), condition)
    w, h = synth.SIZES[synth.CONDITIONS[condition].size]
    assert page.image.shape == (h, w, 3) and page.image.dtype == np.uint8
    assert len(page.boxes) == len(page.text.replace(" ", "").replace("\n", ""))
    inside = [b for b in page.boxes if b[0] >= -2 and b[1] >= -2 and b[0] + b[2] <= w + 2]
    assert len(inside) == len(page.boxes)


def test_same_seed_same_page_and_text_is_drawn():
    a = synth.make_page(np.random.default_rng(5), "shadow", text=["ABC 123"])
    b = synth.make_page(np.random.default_rng(5), "shadow", text=["ABC 123"])
    assert np.array_equal(a.image, b.image) and a.text == "ABC 123"
    x, y, w, h = a.boxes[0]
    gray = cv2.cvtColor(a.image, cv2.COLOR_BGR2GRAY)
    assert gray[y : y + h, x : x + w].min() < gray.mean() - 60  # ink where the truth says


def test_frame_condition_touches_the_left_edge():
    page = synth.make_page(np.random.default_rng(2), "frame")
    assert min(b[0] for b in page.boxes) <= 1


def test_exif_orientation_helper_round_trips_through_the_loader():
    upright = synth.make_page(np.random.default_rng(1), "clean", text=["UP 1"]).image
    stored = cv2.rotate(upright, cv2.ROTATE_90_COUNTERCLOCKWISE)
    jpeg = cv2.imencode(".jpg", stored)[1].tobytes()
    loaded = load_image(synth.with_exif_orientation(jpeg, 6))
    assert loaded.shape == upright.shape


def test_generate_writes_pages_and_truth(tmp_path):
    truth = synth.generate(tmp_path, 2, seed=1, conditions=["clean", "webcam"], glyphs="hershey")
    records = [json.loads(line) for line in truth.read_text().splitlines()]
    assert [r["condition"] for r in records] == ["clean", "webcam"]
    assert all((tmp_path / r["file"]).is_file() and r["text"] for r in records)


@pytest.mark.parametrize("source", ["strokes", "hershey"])
def test_stroke_font_draws_every_character_with_the_pen_width(source):
    rng = np.random.default_rng(0)
    glyphs = synth.GLYPH_SOURCES[source](rng)
    for char in synth.DIGITS + synth.UPPER + string.ascii_lowercase:
        cov, _ = glyphs.render(char, 40, 2.0, rng)
        assert cov.shape[0] >= 20 and cov.max() > 0.9, char
    thin = glyphs.render("H", 40, 1.0, np.random.default_rng(1))[0]
    thick = glyphs.render("H", 40, 6.0, np.random.default_rng(1))[0]
    assert (thick > 0.5).sum() > 2.5 * (thin > 0.5).sum()


def test_hershey_glyphs_are_single_strokes_sitting_on_the_baseline():
    # the stroke fonts: a 1 is one stroke with a flag (no foot, unlike the printed
    # type's), its bottom on the baseline; a g reaches a quarter of the height below it
    for seed in range(10):
        rng = np.random.default_rng(seed)
        glyphs = synth.HersheyGlyphs(rng)
        one, one_drop = glyphs.render("1", 40, 2.0, rng)
        g_drop = glyphs.render("g", 40, 2.0, rng)[1]
        assert one_drop < 10 < g_drop
        base = (one[-3:] > 0.5).any(axis=0).sum()
        assert base < 0.2 * one.shape[0]  # no foot across it (the type's: 0.3-0.9 of its height)


def test_is_bar_tells_a_bare_stroke_from_an_l_with_its_foot():
    bar, ell = np.zeros((28, 28), np.uint8), np.zeros((28, 28), np.uint8)
    cv2.line(bar, (10, 4), (16, 23), 255, 2)  # slanted: a narrow box would not show it
    cv2.line(ell, (10, 4), (10, 23), 255, 2)
    cv2.line(ell, (10, 23), (19, 23), 255, 2)
    assert synth.is_bar(bar) and not synth.is_bar(ell)
    assert not synth.is_bar(np.zeros((28, 28), np.uint8))


@pytest.mark.skipif(not synth.DATA_DIR.is_dir(), reason="../shared/data is absent")
def test_dataset_capital_l_is_never_a_bare_bar():
    glyphs = synth.DatasetGlyphs()
    assert len(glyphs.pool["L"]) >= 40
    assert not any(synth.is_bar(img) for img in glyphs.pool["L"])
    assert any(synth.is_bar(img) for img in glyphs.pool["I"])  # a capital I is a bar
    assert glyphs.pool["l"] and all(synth.is_bar(img) for img in glyphs.pool["l"])


@pytest.mark.skipif(not synth.DATA_DIR.is_dir(), reason="../shared/data is absent")
def test_cased_dataset_glyphs_draw_lower_case_letters_at_their_size_on_the_line():
    def drawn(cased, char):
        glyphs = synth.DatasetGlyphs(cased=cased)
        cov, drop = glyphs.render(char, 50, 3.0, np.random.default_rng(0))
        return cov.shape[0], drop

    assert drawn(False, "o") == (50, 0)  # uncased: every glyph as tall as a capital
    assert drawn(True, "O") == (50, 0)
    assert drawn(True, "o") == (31, 0)  # x-height: 0.62 of a capital
    assert drawn(True, "k")[0] == 50  # an ascender
    height, drop = drawn(True, "p")  # a descender reaches a third below the line
    assert height == 48 and height - drop == 34


def test_accuracy_names_its_conditions_and_refuses_an_unknown_one(capsys):
    from export.__main__ import main

    with pytest.raises(SystemExit) as exit_info:
        main(["accuracy", "--conditions", "clean", "squared"])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "invalid choice: 'squared'" in err and "'grid'" in err


def test_accuracy_reports_every_glyph_source_taken_together(capsys, tmp_path):
    from export.__main__ import main
    from export.accuracy import pooled

    one = {"pages": 2, "chars": 60, "errors": 3, "words": 10, "word_hits": 8}
    two = {"pages": 2, "chars": 40, "errors": 1, "words": 6, "word_hits": 6}
    every = pooled({"a": {"overall": one}, "b": {"overall": two}})
    assert (every["chars"], every["errors"], every["words"]) == (100, 4, 16)
    assert every["cer"] == pytest.approx(0.04) and every["word_accuracy"] == pytest.approx(0.875)
    out = tmp_path / "acc.json"
    args = ["accuracy", "--pages", "1", "--glyphs", "strokes", "type", "--conditions", "clean"]
    assert main([*args, "--json", str(out)]) == 0
    record = json.loads(out.read_text())
    chars = sum(record["glyphs"][g]["overall"]["chars"] for g in ("strokes", "type"))
    assert record["all_glyphs"]["chars"] == chars > 0
    assert (
        f"all 2 glyph sources: CER {100 * record['all_glyphs']['cer']:.2f}%"
        in capsys.readouterr().out
    )


def test_a_condition_object_sets_the_number_of_lines_and_their_pitch():
    dense = dataclasses.replace(synth.CONDITIONS["clean"], lines=(10, 11), line_pitch=(1.4, 1.4))
    page = synth.make_page(np.random.default_rng(0), dense, "strokes")
    assert page.text.count("\n") == 9
    bottoms = sorted({b[1] + b[3] for b in page.boxes})
    spread = (bottoms[-1] - bottoms[0]) / np.median([b[3] for b in page.boxes])
    assert spread < 12.3  # in glyph heights: pitch 1.4 gives 11.1, the default 1.7-2.2 13.5+


def test_prose_pages_hold_lower_case_words_and_leave_other_pages_alone():
    prose = dataclasses.replace(synth.CONDITIONS["clean"], prose=True)
    texts = [synth.make_page(np.random.default_rng(s), prose, "strokes").text for s in range(8)]
    words = " ".join(texts).split()
    assert all(w.lower() in synth.WORDS_PROSE or w.isdigit() for w in words)
    assert any(w[0].isupper() for w in words) and sum(w.islower() for w in words) > len(words) / 2
    plain = synth.make_page(np.random.default_rng(0), "clean", "strokes")
    assert plain.text == plain.text.upper()


def test_pen_lifts_leave_a_letters_strokes_apart_and_change_nothing_else():
    def parts(pen_lift, char):
        glyphs = synth.StrokeGlyphs(np.random.default_rng(0), pen_lift)
        cov, _ = glyphs.render(char, 60, 4.0, np.random.default_rng(1))
        return cv2.connectedComponents((cov > 0.5).astype(np.uint8))[0] - 1

    assert [parts(0.0, c) for c in "HKL"] == [1, 1, 1]
    h, k, one = (parts(0.1, c) for c in "HKL")
    assert h >= 2 and k >= 2 and one == 1  # L is one stroke: nothing to lift
    lifted = dataclasses.replace(synth.CONDITIONS["clean"], pen_lift=0.1)
    plain = synth.make_page(np.random.default_rng(2), "clean", "strokes")
    page = synth.make_page(np.random.default_rng(2), lifted, "strokes")
    assert page.text == plain.text and not np.array_equal(page.image, plain.image)
    with pytest.raises(ValueError, match="stroke font"):
        synth.make_page(np.random.default_rng(2), lifted, "hershey")
