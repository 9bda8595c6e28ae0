"""Static int8 quantization of a small model trained on real MNIST, and the accuracy gate."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
needs_data = pytest.mark.skipif(not DATA.is_dir(), reason="../shared/data is absent")


@pytest.fixture(scope="module")
def mnist():
    """Real MNIST: 3,000 training and 1,000 test images."""
    from export.data import load_dataset

    x_train, y_train, _ = load_dataset("mnist", DATA / "mnist", "train")
    x_test, y_test, _ = load_dataset("mnist", DATA / "mnist", "test")
    return x_train[:3000], y_train[:3000], x_test[:1000], y_test[:1000]


@pytest.fixture(scope="module")
def fp32_path(mnist, tmp_path_factory):
    """A LeNet-like CNN trained for one epoch on 3,000 real MNIST images, as ONNX fp32."""
    import keras

    from export.convert import keras_to_onnx, to_input

    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [
            keras.Input((28, 28, 1)),
            keras.layers.Conv2D(8, 5, padding="same", activation="relu"),
            keras.layers.MaxPooling2D(2),
            keras.layers.Conv2D(16, 5, activation="relu"),
            keras.layers.MaxPooling2D(2),
            keras.layers.Flatten(),
            keras.layers.Dense(64, activation="relu"),
            keras.layers.Dense(10, activation="softmax"),
        ]
    )
    model.compile("adam", "sparse_categorical_crossentropy")
    model.fit(to_input(mnist[0]), mnist[1], epochs=1, batch_size=32, verbose=0)
    return keras_to_onnx(model, tmp_path_factory.mktemp("q") / "fp32.onnx")


@needs_data
@pytest.mark.parametrize("method", ["minmax", "percentile"])
def test_int8_agrees_with_fp32_on_real_images(fp32_path, mnist, tmp_path, method):
    import onnx

    from export.convert import onnx_predict, to_input
    from export.quantize import QuantConfig, calibration_images, quantize_int8

    calib = to_input(calibration_images(mnist[0], 300))
    int8_path = quantize_int8(fp32_path, tmp_path / "int8.onnx", calib, QuantConfig(method, 300))
    x = to_input(mnist[2])
    fp32, int8 = onnx_predict(fp32_path, x), onnx_predict(int8_path, x)
    assert np.mean(fp32.argmax(1) == int8.argmax(1)) >= 0.99
    np.testing.assert_allclose(int8.sum(1), 1.0, atol=1e-4)
    ops = [n.op_type for n in onnx.load(str(int8_path)).graph.node]
    assert "QuantizeLinear" in ops and "DequantizeLinear" in ops
    assert ops[-1] == "Softmax"  # probs stay full-precision floats
    assert len(np.unique(int8)) > 1000  # not rounded to 256 uint8 levels


@needs_data
def test_weights_are_int8_per_channel(fp32_path, mnist, tmp_path):
    import onnx
    from onnx import numpy_helper

    from export.convert import to_input
    from export.quantize import QuantConfig, quantize_int8

    path = quantize_int8(fp32_path, tmp_path / "i.onnx", to_input(mnist[0][:64]), QuantConfig())
    inits = {t.name: numpy_helper.to_array(t) for t in onnx.load(str(path)).graph.initializer}
    int8_weights = [v for v in inits.values() if v.dtype == np.int8 and v.ndim >= 2]
    assert int8_weights, "no int8 weight tensors"
    assert any(v.ndim == 1 and v.dtype == np.float32 and v.size in (16, 64) for v in inits.values())


@needs_data
def test_fp32_stem_rewrite_is_exact(fp32_path, mnist, tmp_path):
    import onnx

    from export.convert import onnx_predict, to_input
    from export.quantize import pool_before_relu

    model = onnx.load(str(fp32_path))
    assert pool_before_relu(model.graph) == 2
    onnx.save(model, str(tmp_path / "swapped.onnx"))
    x = to_input(mnist[2][:200])
    np.testing.assert_allclose(
        onnx_predict(tmp_path / "swapped.onnx", x), onnx_predict(fp32_path, x), atol=1e-6
    )


@needs_data
def test_gate_fails_when_calibration_is_wrong(fp32_path, mnist, tmp_path):
    """Calibrating on blank images collapses the activation ranges: the gate must refuse it."""
    from export.convert import ExportError
    from export.quantize import QuantConfig, quantize_gated

    blank = np.zeros_like(mnist[0][:200])
    with pytest.raises(ExportError, match="no quantization attempt passed"):
        quantize_gated(
            fp32_path, tmp_path / "bad.onnx", "mnist", blank, mnist[2], mnist[3],
            [QuantConfig("minmax", 100)], log=lambda _: None,
        )  # fmt: skip
    assert not (tmp_path / "bad.onnx").exists()


@needs_data
def test_gated_quantization_reports_accuracy_and_latency(fp32_path, mnist, tmp_path):
    from export.quantize import QuantConfig, quantize_gated

    lines = []
    report = quantize_gated(
        fp32_path, tmp_path / "ok.onnx", "mnist", mnist[0], mnist[2], mnist[3],
        [QuantConfig("minmax", 200)], log=lines.append,
    )  # fmt: skip
    assert report["fp32_accuracy"] - report["int8_accuracy"] <= 0.001 + 1e-9
    assert report["n"] == 1000 and report["int8_us_per_char"] > 0
    assert any("gate passed" in line for line in lines)


def test_accuracy_gate_limits():
    from export.convert import ExportError
    from export.quantize import accuracy_gate

    assert accuracy_gate(0.9900, 0.9892, "mnist") == pytest.approx(0.08)
    with pytest.raises(ExportError, match="0.1 pp"):
        accuracy_gate(0.9900, 0.9885, "mnist")
    assert accuracy_gate(0.8600, 0.8575, "emnist47") == pytest.approx(0.25)
    with pytest.raises(ExportError, match="0.3 pp"):
        accuracy_gate(0.8600, 0.8560, "emnist47")


def test_calibration_images_are_a_seeded_sample_without_repeats():
    from export.quantize import calibration_images

    x = np.arange(500 * 28 * 28, dtype=np.int64).reshape(500, 28, 28).astype(np.uint8)
    x[:, 0, 0] = np.arange(500) % 256
    x[:, 0, 1] = np.arange(500) // 256
    a, b = calibration_images(x, 100), calibration_images(x, 100)
    assert np.array_equal(a, b) and len(a) == 100
    ids = a[:, 0, 0].astype(int) + 256 * a[:, 0, 1].astype(int)
    assert len(set(ids)) == 100
    assert len(calibration_images(x, 10_000)) == 500


def test_qoperator_with_an_fp32_stem_is_refused(tmp_path):
    from export.convert import ExportError
    from export.quantize import QuantConfig, quantize_int8

    cfg = QuantConfig(quant_format="qoperator")
    with pytest.raises(ExportError, match="no-fp32-stem"):
        quantize_int8(tmp_path / "any.onnx", tmp_path / "out.onnx", np.zeros((1, 28, 28, 1)), cfg)


def test_fallback_attempts_keep_the_requested_options():
    from export.quantize import METHODS, QuantConfig, fallback_configs

    first = QuantConfig("minmax", 500, fp32_stem=False, per_channel=False, activations="int8")
    attempts = fallback_configs(first)
    assert attempts[0] == first and attempts[1].calib_n == 2000
    assert {a.method for a in attempts} == set(METHODS) and attempts[-1].fp32_head
    for a in attempts:
        assert (a.fp32_stem, a.per_channel, a.activations) == (False, False, "int8")
