"""The digits model's second opinion on which digit a character is (hwr_edge.digits)."""

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from hwr_edge import Recognizer, classifier, load_model
from hwr_edge.charset import charset_mask
from hwr_edge.digits import DIGIT_SHARE, SURE_DIGIT, DigitOpinion, digit_opinion
from hwr_edge.normalize import ink_mask, normalize_mask

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


@pytest.fixture(scope="module")
def main():
    return load_model(threads=1)


@pytest.fixture(scope="module")
def opinion(main):
    return digit_opinion(main, None, threads=1)


def bar() -> np.ndarray:
    """The ink mask of a plain upright stroke, a 1 to any digits model."""
    mask = np.zeros((60, 24), np.uint8)
    cv2.line(mask, (12, 4), (12, 55), 255, 5)
    return mask


def test_the_default_model_gets_the_manifests_digits_model(opinion):
    assert isinstance(opinion, DigitOpinion)
    assert opinion.digits.labels == [str(d) for d in range(10)]
    assert opinion.digits.info["name"] == "lenet5-mnist-int8"


def test_no_opinion_for_a_digits_model_or_a_charset_without_digits(main):
    assert digit_opinion(load_model("lenet5-mnist-int8"), None, threads=1) is None
    letters = charset_mask("letters", main.labels)
    assert digit_opinion(main, letters, threads=1) is None
    assert isinstance(digit_opinion(main, charset_mask("alnum", main.labels), 1), DigitOpinion)


def test_a_digit_rows_share_goes_the_digits_models_way_and_letters_keep_theirs(main, opinion):
    col = {c: i for i, c in enumerate(main.labels)}
    probs = np.zeros((3, len(main.labels)), np.float32)
    probs[0, [col["7"], col["1"], col["I"]]] = 0.5, 0.3, 0.2  # a 7 to the main model
    probs[1, [col["7"], col["I"]]] = DIGIT_SHARE / 2, 1 - DIGIT_SHARE / 2  # an I: not asked
    probs[2, [col["7"], col["1"]]] = SURE_DIGIT + 0.005, 0.995 - SURE_DIGIT  # a sure 7: neither
    out = opinion.apply(probs, [bar(), bar(), bar()])
    assert out[0, col["1"]] > out[0, col["7"]]
    assert out[0, col["I"]] == pytest.approx(0.2)
    assert out[0, opinion.columns].sum() == pytest.approx(0.8)
    np.testing.assert_array_equal(out[1:], probs[1:])
    assert probs[0, col["7"]] == 0.5  # the caller's array is left as it was


@pytest.mark.skipif(not DATA.is_dir(), reason="../shared/data is absent")
def test_two_opinions_read_held_out_digits_better_than_the_main_model_alone(main, opinion):
    from export.data import load_emnist47, load_mnist

    counts = {}
    for name, held_out in (
        ("emnist", load_emnist47(DATA / "emnist", "test")),  # 1,653 digits
        ("mnist", load_mnist(DATA / "mnist", "test")),  # 10,000
    ):
        digits = np.flatnonzero(held_out.y < 10)
        masks = [ink_mask(held_out.x[i].reshape(28, 28)) for i in digits]
        probs = main.predict_proba(np.stack([normalize_mask(m, main.convention) for m in masks]))
        truth = held_out.y[digits]
        alone = (probs[:, opinion.columns].argmax(axis=1) == truth).sum()
        both = (opinion.apply(probs, masks)[:, opinion.columns].argmax(axis=1) == truth).sum()
        counts[name] = (int(alone), int(both))
    assert counts["emnist"][1] >= counts["emnist"][0], counts
    assert counts["mnist"][1] > counts["mnist"][0], counts


def test_a_page_of_numbers_reads_its_digits_with_the_second_opinion():
    # the benchmark's Hershey page 3 (seed 1, ruled paper): the open-bowled 6 of Hershey's
    # font is a G or an 8 to the default model alone ("9782G", "4588")
    from export import synth
    from export.accuracy import edit_distance, page_alphabet

    both, alone = Recognizer(threads=1), Recognizer(threads=1, digit_opinion=False)
    rng = np.random.default_rng(1)
    alphabet = page_alphabet(both.classifier.labels)
    for cond in list(synth.CONDITIONS)[:4]:
        page = synth.make_page(rng, cond, "hershey", alphabet=alphabet)
    assert page.text == "97826 EAST\n93 CAT 4566\n40"
    read = both.recognize(page.image)
    assert read.text.split("\n")[0] == "97826 EAST"
    assert edit_distance(read.text, page.text) < edit_distance(
        alone.recognize(page.image).text, page.text
    )
    assert read.model["digit_model"] == "lenet5-mnist-int8"
    assert "digit_model" not in alone.recognize(page.image).model


def test_the_digits_model_runs_on_as_many_threads_as_the_main_model(main):
    recognizer = Recognizer(main)  # a loaded model: the Recognizer names no thread count
    assert recognizer.classifier is main
    assert recognizer._digits.digits.threads == main.threads == 1


def test_no_opinion_from_a_models_folder_whose_digits_default_reads_letters(tmp_path, monkeypatch):
    # a manifest without a digits default falls back to its default model, here a 47-class
    # one: its "digits" would be every class
    repo_models = Path(__file__).resolve().parents[1] / "models"
    manifest = json.loads((repo_models / "manifest.json").read_text())
    manifest["defaults"] = {"alnum": "edgenet-emnist47-int8"}
    manifest["default"] = "lenet5-emnist47-int8"
    folder = tmp_path / "models"
    folder.mkdir()
    for entry in manifest["models"]:
        (folder / entry["file"]).symlink_to(repo_models / entry["file"])
    (folder / "manifest.json").write_text(json.dumps(manifest))
    monkeypatch.setenv("HWR_EDGE_MODELS", str(folder))
    main = load_model("edgenet-emnist47-int8", threads=1)
    assert load_model(None, charset="digits").info["name"] == "lenet5-emnist47-int8"
    assert digit_opinion(main, None, threads=1) is None
    manifest["default"] = "edgenet-emnist47-int8"  # now the main model itself
    (folder / "manifest.json").write_text(json.dumps(manifest))
    opened = []
    monkeypatch.setattr(classifier, "_open_session", lambda path, threads: opened.append(path))
    assert digit_opinion(main, None, threads=1) is None
    assert opened == []  # the main model's file is not opened a second time
    assert "digit_model" not in Recognizer(main).recognize(np.full((60, 80), 255, np.uint8)).model
