"""Keras -> ONNX conversion and the parity gate, on a small model trained on real MNIST."""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pytest

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
pytestmark = pytest.mark.skipif(not DATA.is_dir(), reason="../shared/data is absent")


@pytest.fixture(scope="module")
def mnist():
    """Real MNIST: 600 training and 1,200 test images."""
    from export.data import load_dataset

    x_train, y_train, _ = load_dataset("mnist", DATA / "mnist", "train")
    x_test, y_test, _ = load_dataset("mnist", DATA / "mnist", "test")
    return x_train[:600], y_train[:600], x_test[:1200], y_test[:1200]


@pytest.fixture(scope="module")
def small_model(mnist):
    """A small CNN trained for one epoch on 600 real MNIST images."""
    import keras

    from export.convert import to_input

    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [
            keras.Input((28, 28, 1)),
            keras.layers.Conv2D(8, 5, padding="same", activation="relu"),
            keras.layers.MaxPooling2D(2),
            keras.layers.Conv2D(16, 5, activation="relu"),
            keras.layers.MaxPooling2D(2),
            keras.layers.Flatten(),
            keras.layers.Dense(32, activation="relu"),
            keras.layers.Dense(10, activation="softmax"),
        ]
    )
    model.compile("adam", "sparse_categorical_crossentropy")
    model.fit(to_input(mnist[0]), mnist[1], epochs=1, batch_size=32, verbose=0)
    return model


@pytest.fixture(scope="module")
def onnx_path(small_model, tmp_path_factory):
    from export.convert import keras_to_onnx

    return keras_to_onnx(small_model, tmp_path_factory.mktemp("onnx") / "small.onnx")


def test_onnx_has_contract_names_opset_and_dynamic_batch(onnx_path, mnist):
    import onnx

    from export.convert import onnx_predict, to_input

    model = onnx.load(str(onnx_path))
    assert max(o.version for o in model.opset_import if o.domain in ("", "ai.onnx")) >= 17
    assert [i.name for i in model.graph.input] == ["image"]
    assert [o.name for o in model.graph.output] == ["probs"]
    dims = model.graph.input[0].type.tensor_type.shape.dim
    assert dims[0].dim_param and [d.dim_value for d in dims[1:]] == [28, 28, 1]
    for n in (1, 7, 64):
        probs = onnx_predict(onnx_path, to_input(mnist[2][:n]))
        assert probs.shape == (n, 10)
        np.testing.assert_allclose(probs.sum(1), 1.0, atol=1e-5)


def test_parity_gate_passes_on_1200_real_test_images(small_model, tmp_path, mnist):
    from export.convert import convert_and_check

    report = convert_and_check(small_model, tmp_path / "m.onnx", mnist[2])
    assert report["n"] == 1200
    assert report["max_abs_diff"] <= 1e-4
    assert report["argmax_mismatches"] == 0


def test_parity_gate_fails_for_a_perturbed_model(small_model, onnx_path, mnist):
    import keras

    from export.convert import ExportError, onnx_predict, parity_gate, to_input

    x = to_input(mnist[2])
    perturbed = keras.models.clone_model(small_model)
    weights = small_model.get_weights()
    weights[-1] = weights[-1] + np.linspace(-0.5, 0.5, weights[-1].size, dtype=np.float32)
    perturbed.set_weights(weights)
    keras_probs = perturbed.predict(x, verbose=0)
    with pytest.raises(ExportError, match="parity gate failed"):
        parity_gate(keras_probs, onnx_predict(onnx_path, x))


def test_parity_gate_fails_on_a_tiny_difference_above_the_limit(onnx_path, mnist):
    from export.convert import ExportError, onnx_predict, parity_gate, to_input

    probs = onnx_predict(onnx_path, to_input(mnist[2]))
    shifted = probs.copy()
    shifted[3, 0] += 2e-4
    with pytest.raises(ExportError, match="max"):
        parity_gate(shifted, probs)
    assert parity_gate(probs + 5e-5, probs)["argmax_mismatches"] == 0


def test_parity_gate_refuses_fewer_than_1000_images(onnx_path, mnist):
    from export.convert import ExportError, onnx_predict, parity_gate, to_input

    probs = onnx_predict(onnx_path, to_input(mnist[2][:500]))
    with pytest.raises(ExportError, match="at least 1000"):
        parity_gate(probs, probs)


def test_convert_cli_reports_a_bad_run_directory_in_one_line(tmp_path, capsys):
    from export import convert

    parser = argparse.ArgumentParser()
    convert.register(parser.add_subparsers())
    args = parser.parse_args(["convert", str(tmp_path / "nope"), "--out", str(tmp_path / "x.onnx")])
    assert args.func(args) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "model.keras" in err and err.count("\n") == 1
