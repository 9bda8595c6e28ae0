"""A short real training on MNIST learns; fine-tuning from a folder of crops works; CLI errors."""

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

keras = pytest.importorskip("keras")

from export.augment import AugmentConfig, augment_batch, framing_scale  # noqa: E402
from export.evaluate import evaluate  # noqa: E402
from export.train import class_weights, read_run_info, register, train  # noqa: E402
from hwr_edge.convention import InputConvention  # noqa: E402

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
needs_data = pytest.mark.skipif(not DATA.is_dir(), reason="../shared/data is absent")


@pytest.fixture(scope="module")
def mnist_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "lenet5-mnist"
    train(
        "lenet5",
        "mnist",
        DATA / "mnist",
        1,
        out,
        augment=False,
        batch_size=32,
        limit=2000,
        verbose=0,
    )
    return out


@needs_data
@pytest.mark.slow
def test_one_epoch_on_2k_mnist_images_learns(mnist_run):
    for name in ("model.keras", "curves.png", "confusion.png", "convention.json", "labels.json"):
        assert (mnist_run / name).stat().st_size > 0
    metrics = json.loads((mnist_run / "metrics.json").read_text())
    assert metrics["n_train"] == 1800 and metrics["epochs_run"] == 1
    assert metrics["test"]["n"] == 10_000
    assert metrics["accuracy"] > 0.8  # chance is 0.1
    assert 0 < metrics["f1_macro"] <= 1 and metrics["train_seconds"] > 0
    assert "emnist_digits" in metrics and metrics["emnist_digits"]["n"] > 1000
    labels, convention, dataset = read_run_info(mnist_run / "model.keras")
    assert labels == [str(d) for d in range(10)] and dataset == "mnist"
    assert convention.fit_box == 20 and convention.center == "mass"
    assert 1.5 < convention.stroke_px < 3.5


def synthetic_crops(folder: Path, char: str, n: int) -> None:
    """Dark-on-light photos of ``char`` drawn with a Hershey font, slightly varied."""
    (folder / char).mkdir(parents=True)
    for i in range(n):
        img = np.full((64 + 4 * i, 48), 235, np.uint8)
        cv2.putText(
            img, char, (8, 50 + 2 * i), cv2.FONT_HERSHEY_SIMPLEX, 1.4 + 0.05 * i, 20, 3 + i % 3
        )
        cv2.imwrite(str(folder / char / f"{i}.png"), img)


@needs_data
@pytest.mark.slow
def test_finetune_from_folder_lowers_loss_on_the_crops(mnist_run, tmp_path):
    from export.data import load_folder

    folder = tmp_path / "crops"
    for char in "147":
        synthetic_crops(folder, char, 8)
    labels, convention, _ = read_run_info(mnist_run / "model.keras")
    crops = load_folder(folder, convention, labels)

    def loss(model) -> float:
        probs = model.predict(crops.x[..., None] / 255.0, verbose=0)
        return float(-np.log(probs[np.arange(len(crops.y)), crops.y] + 1e-9).mean())

    before = loss(keras.models.load_model(mnist_run / "model.keras"))
    out = train(
        "lenet5",
        None,
        None,
        4,
        tmp_path / "tuned",
        augment=False,
        batch_size=8,
        finetune_from=mnist_run / "model.keras",
        folder=folder,
        verbose=0,
    )
    tuned = keras.models.load_model(out / "model.keras")
    assert loss(tuned) < before
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["dataset"] == "mnist" and metrics["validation"]["n"] >= 1
    assert evaluate(tuned, crops.x, crops.y, labels)["n"] == 24


def resume_one_epoch(run: Path, out: Path, **options) -> dict:
    """One more epoch of ``run`` on its 2,000 MNIST images; the new run's metrics."""
    common = {"augment": False, "batch_size": 32, "limit": 2000, "verbose": 0}
    train(
        "lenet5", None, DATA / "mnist", 1, out, resume_from=run / "model.keras", **common, **options
    )
    return json.loads((out / "metrics.json").read_text())


@needs_data
@pytest.mark.slow
def test_resume_continues_a_run_on_the_same_split(mnist_run, tmp_path):
    base = json.loads((mnist_run / "metrics.json").read_text())
    metrics = resume_one_epoch(mnist_run, tmp_path / "more", learning_rate=1e-4)
    assert metrics["resumed_from"] == str(mnist_run / "model.keras")
    assert metrics["epochs_before"] == base["best_epoch"] == 1
    assert metrics["epochs_total"] == 2 and metrics["learning_rate"] == 1e-4
    assert metrics["n_val"] == base["n_val"] and metrics["convention"] == base["convention"]
    assert metrics["base_best_val_loss"] == pytest.approx(min(base["history"]["val_loss"]))
    assert "--resume-from" in metrics["command"] and "--lr 0.0001" in metrics["command"]
    # a continuation starts from the base weights: its first epoch beats the base's first
    assert metrics["history"]["val_loss"][0] < base["history"]["val_loss"][0]


@needs_data
def test_resume_rejects_another_dataset(mnist_run, tmp_path, capsys):
    argv = ["--resume-from", str(mnist_run / "model.keras"), "--dataset", "emnist47"]
    code = cli([*argv, "--data-dir", str(DATA / "emnist"), "--out", str(tmp_path / "r")])
    err = capsys.readouterr().err
    assert code != 0 and err.startswith("error: ") and "trained on mnist" in err


def test_augment_is_seeded_and_keeps_shape():
    x = np.zeros((4, 28, 28), np.uint8)
    x[:, 8:20, 12:16] = 255
    a = augment_batch(x, np.random.default_rng(3), AugmentConfig())
    b = augment_batch(x, np.random.default_rng(3), AugmentConfig())
    c = augment_batch(x, np.random.default_rng(4), AugmentConfig())
    assert a.shape == x.shape and a.dtype == np.uint8
    assert np.array_equal(a, b) and not np.array_equal(a, c)
    assert (a.reshape(4, -1).max(axis=1) > 100).all()  # the glyph survives


def test_framing_scale_spans_mnist_and_emnist_sizes():
    lo, hi = framing_scale(20)
    assert lo < 1.0 and hi * 20 > 24
    lo, hi = framing_scale(24)
    assert lo * 24 < 20 and hi > 1.0


def test_class_weights_balance_the_classes():
    y = np.array([0] * 90 + [1] * 10)
    w = class_weights(y, 2)
    assert w[1] / w[0] == pytest.approx(9.0)
    assert w[y].mean() == pytest.approx(1.0)


def cli(argv):
    import argparse

    parser = argparse.ArgumentParser()
    register(parser.add_subparsers())
    args = parser.parse_args(["train", *argv])
    return args.func(args)


def test_cli_missing_data_is_one_line_error(tmp_path, capsys):
    code = cli(["--dataset", "mnist", "--data-dir", str(tmp_path), "--out", str(tmp_path / "r")])
    err = capsys.readouterr().err
    assert code != 0 and err.startswith("error: ") and err.count("\n") == 1
    assert "not found" in err


def test_cli_requires_dataset(tmp_path, capsys):
    assert cli(["--out", str(tmp_path / "r")]) != 0
    assert capsys.readouterr().err.startswith("error: ")


@needs_data
def test_resume_with_negatives_adds_the_classes_that_are_no_character(mnist_run, tmp_path):
    import keras

    from hwr_edge.classifier import NOT_A_CHARACTER, TOUCHING_CHARACTERS

    base = json.loads((mnist_run / "metrics.json").read_text())
    metrics = resume_one_epoch(mnist_run, tmp_path / "unknown", negatives=300, touching=100)
    out = tmp_path / "unknown"
    assert metrics["labels"] == [*base["labels"], NOT_A_CHARACTER, TOUCHING_CHARACTERS]
    assert metrics["n_train"] == base["n_train"] + 360  # 90 % of the negatives and runs
    assert "--negatives 300 --touching 100" in metrics["command"]
    model = keras.models.load_model(out / "model.keras")
    assert model.output_shape[-1] == 12
    assert metrics["accuracy"] > 0.8  # the digits are still read (test set: digits only)


@needs_data
def test_digit_styles_add_footed_ones_and_slashed_zeros_to_the_fitting_set(mnist_run, tmp_path):
    base = json.loads((mnist_run / "metrics.json").read_text())
    metrics = resume_one_epoch(mnist_run, tmp_path / "styles", digit_styles=100)
    assert metrics["n_train"] == base["n_train"] + 90  # 90 % of the styled digits
    assert metrics["labels"] == base["labels"] and "--digit-styles 100" in metrics["command"]


def test_add_class_keeps_the_old_classes_predictions():
    import keras

    from export.arch import build_model
    from export.train import add_class

    keras.utils.set_random_seed(0)
    model = build_model("lenet5", 10)
    x = np.random.default_rng(0).random((4, 28, 28, 1)).astype(np.float32)
    grown = add_class(model)
    old, new = model.predict(x, verbose=0), grown.predict(x, verbose=0)
    assert new.shape == (4, 11)
    assert np.allclose(new[:, :10] / new[:, :10].sum(axis=1, keepdims=True), old, atol=1e-5)
    assert (new[:, 10] < new[:, :10].max(axis=1)).all()


def test_negative_crops_look_like_model_inputs():
    from export.negatives import negative_crops

    crops = negative_crops(50, 0, InputConvention(fit_box=23, center="box", stroke_px=2.66))
    assert crops.shape == (50, 28, 28) and crops.dtype == np.uint8
    assert (crops.max(axis=(1, 2)) > 150).all()  # every crop has ink
    assert crops[:, 0].max() == 0 and crops[:, :, 0].max() == 0  # a dark border, like EMNIST
    again = negative_crops(50, 0, InputConvention(fit_box=23, center="box", stroke_px=2.66))
    assert np.array_equal(crops, again)


def test_touching_runs_are_one_wide_component_of_two_or_three_characters():
    from export.negatives import touching_runs
    from hwr_edge.normalize import ink_binary

    ring, cross = np.zeros((28, 28), np.uint8), np.zeros((28, 28), np.uint8)
    cv2.ellipse(ring, (14, 14), (7, 10), 0, 0, 360, 255, 2)
    cv2.line(cross, (6, 4), (22, 24), 255, 2)
    cv2.line(cross, (22, 4), (6, 24), 255, 2)
    x, y = np.stack([ring, cross] * 10), np.array([0, 1] * 10)
    convention = InputConvention(fit_box=23, center="box", stroke_px=2.66)
    runs = touching_runs(x, y, ["O", "X"], 40, 0, convention)
    assert runs.shape == (40, 28, 28) and runs.dtype == np.uint8
    for crop in runs:
        mask = ink_binary(crop).astype(np.uint8)
        assert cv2.connectedComponents(mask)[0] == 2  # background + one touching run
        _, _, w, h = cv2.boundingRect(mask)
        assert w > h  # two or three characters side by side
    assert np.array_equal(runs, touching_runs(x, y, ["O", "X"], 40, 0, convention))


def test_extra_digits_are_reframed_to_the_models_crops_and_classes(tmp_path):
    import string

    from export.train import _digits_from
    from hwr_edge.normalize import ink_binary

    x = np.zeros((2, 28, 28), np.uint8)
    x[:, 4:24, 10:18] = 255  # MNIST framing: a 20-pixel-high glyph
    header = "label," + ",".join(f"{r}x{c}" for r in range(1, 29) for c in range(1, 29))
    pairs = zip(x, (7, 1), strict=True)
    rows = [",".join(str(v) for v in [label, *img.ravel()]) for img, label in pairs]
    (tmp_path / "mnist_train.csv").write_text("\n".join([header, *rows]) + "\n")
    labels = list(string.digits + string.ascii_uppercase)
    convention = InputConvention(fit_box=24, center="box", stroke_px=None)
    crops, y = _digits_from(tmp_path, labels, convention)
    assert y.tolist() == [labels.index("7"), labels.index("1")]
    rows_with_ink = np.flatnonzero(ink_binary(crops[0]).any(axis=1))
    assert rows_with_ink[-1] - rows_with_ink[0] + 1 == 24  # re-framed to the convention
