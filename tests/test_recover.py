"""Rebuilding a trainable Keras edgenet from its fp32 ONNX file (export/recover.py)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
SHIPPED = ROOT / "models" / "edgenet-emnist47-fp32.onnx"


@pytest.fixture(scope="module")
def folded(tmp_path_factory):
    """A random 5-class edgenet whose BN layers hold non-trivial statistics, exported to
    ONNX with this project's metadata; returns (keras model, onnx path, test inputs)."""
    import keras

    from export.arch import build_model
    from export.convert import keras_to_onnx
    from export.manifest import model_metadata, write_metadata

    keras.utils.set_random_seed(3)
    model = build_model("edgenet", 5)
    rng = np.random.default_rng(3)
    for layer in model.layers:
        if type(layer).__name__ == "BatchNormalization":
            n = layer.get_weights()[0].shape[0]
            layer.set_weights(
                [
                    rng.uniform(0.5, 2.0, n),
                    rng.normal(0, 0.3, n),
                    rng.normal(0, 0.5, n),
                    rng.uniform(0.2, 3.0, n),
                ]
            )
    path = keras_to_onnx(model, tmp_path_factory.mktemp("recover") / "edgenet-fp32.onnx")
    record = {"eval_set": "none", "n": 0, "accuracy": 0.0}
    convention = {"size": 28, "fit_box": 23}
    props = model_metadata(list("01234"), convention, "edgenet", "emnist47", "fp32", record, "0")
    write_metadata(path, props)
    x = rng.uniform(0, 1, (64, 28, 28, 1)).astype(np.float32)
    return model, path, x


def test_rebuilt_model_computes_what_the_onnx_file_does(folded):
    from export.convert import onnx_predict
    from export.recover import folded_weights, rebuild

    model, path, x = folded
    layers, meta = folded_weights(path)
    rebuilt = rebuild(layers, 5)
    expected = onnx_predict(path, x)
    assert np.abs(rebuilt.predict(x, verbose=0) - expected).max() < 1e-5
    assert np.abs(model.predict(x, verbose=0) - expected).max() < 1e-5
    assert json.loads(meta["hwr_edge.labels"]) == list("01234")


def test_calibration_keeps_the_function_and_takes_the_batch_statistics(folded):
    import keras

    from export.recover import calibrate, folded_weights, rebuild

    _, path, x = folded
    rebuilt = rebuild(folded_weights(path)[0], 5)
    before = rebuilt.predict(x, verbose=0)
    calibrate(rebuilt, x)
    assert np.abs(rebuilt.predict(x, verbose=0) - before).max() < 1e-4
    norm = next(layer for layer in rebuilt.layers if type(layer).__name__ == "BatchNormalization")
    acts = keras.Model(rebuilt.inputs, norm.input).predict(x, verbose=0)
    _, _, mean, var = norm.get_weights()
    assert np.allclose(mean, acts.mean((0, 1, 2)), atol=1e-4)
    assert np.allclose(var, acts.var((0, 1, 2)), rtol=1e-3, atol=1e-5)
    assert np.abs(mean).max() > 0.01  # not the identity statistics the rebuild starts from


@pytest.mark.parametrize("name", ["lenet5-emnist47-fp32.onnx", "edgenet-emnist47-int8.onnx"])
def test_only_fp32_edgenet_files_are_taken(name):
    from export.recover import RecoverError, folded_weights

    with pytest.raises(RecoverError, match="not an fp32 edgenet"):
        folded_weights(ROOT / "models" / name)


@pytest.mark.parametrize("content", [b"not a model", None])
def test_cli_bad_file_is_a_one_line_error(tmp_path, capsys, content):
    from export.__main__ import main

    path = tmp_path / "model.onnx"
    if content is not None:
        path.write_bytes(content)
    assert (
        main(["recover", str(path), "--data-dir", str(tmp_path), "--out", str(tmp_path / "r")]) == 1
    )
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1 and str(path) in err


@pytest.mark.skipif(not DATA.is_dir(), reason="../shared/data is absent")
def test_recovered_shipped_model_reads_like_it_and_can_be_resumed(tmp_path):
    import keras

    from export.__main__ import main
    from export.convert import onnx_predict, to_input
    from export.data import load
    from export.train import resume_info

    out = tmp_path / "run"
    args = ["recover", str(SHIPPED), "--data-dir", str(DATA / "emnist"), "--out", str(out)]
    assert main([*args, "--calib-n", "2000"]) == 0
    x = to_input(load("emnist47", DATA / "emnist", "test").x[:300])
    rebuilt = keras.models.load_model(out / "model.keras")
    assert np.abs(rebuilt.predict(x, verbose=0) - onnx_predict(SHIPPED, x)).max() < 1e-4
    info = resume_info(out / "model.keras")
    assert info["labels"][-2:] == ["\ufffd", "\ufffc"] and info["dataset"] == "emnist47"
    assert info["convention"].blur == 0.5
