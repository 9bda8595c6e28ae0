"""Classifier: metadata, batched prediction, thread safety, refusal of bad models.

``write_model`` and ``write_models_dir`` build tiny ONNX models with the ``onnx`` helper
API (a test-only dependency); other test modules import them.
"""

from __future__ import annotations

import hashlib
import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from hwr_edge.classifier import load_model
from hwr_edge.convention import InputConvention
from hwr_edge.errors import ModelError

LABELS = ["A", "B", "C", "D"]


def band_weights(n_classes: int, size: int = 28) -> np.ndarray:
    """Weights under which class i scores the ink in the i-th vertical band of the crop."""
    columns = np.arange(size * size) % size
    band = columns * n_classes // size
    return (np.eye(n_classes, dtype=np.float32)[band] * 0.5).astype(np.float32)


def write_model(
    path: Path,
    labels: list[str] = LABELS,
    n_outputs: int | None = None,
    metadata: dict | None = None,
    static_output: bool = True,
) -> Path:
    """A softmax(flatten(x) @ W + b) ONNX model whose class i fires on ink in band i."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    n_out = len(labels) if n_outputs is None else n_outputs
    weights = band_weights(n_out)
    inp = helper.make_tensor_value_info("image", TensorProto.FLOAT, ["N", 28, 28, 1])
    out_shape = ["N", n_out] if static_output else ["N", "C"]
    out = helper.make_tensor_value_info("probs", TensorProto.FLOAT, out_shape)
    inits = [
        numpy_helper.from_array(np.array([-1, 784], np.int64), "shape"),
        numpy_helper.from_array(weights, "W"),
        numpy_helper.from_array(np.zeros(n_out, np.float32), "b"),
    ]
    nodes = [
        helper.make_node("Reshape", ["image", "shape"], ["flat"]),
        helper.make_node("MatMul", ["flat", "W"], ["logits0"]),
        helper.make_node("Add", ["logits0", "b"], ["logits"]),
        helper.make_node("Softmax", ["logits"], ["probs"], axis=1),
    ]
    graph = helper.make_graph(nodes, "tiny", [inp], [out], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    meta = {
        "hwr_edge.labels": json.dumps(labels),
        "hwr_edge.input": InputConvention().to_json(),
        "hwr_edge.arch": "tiny",
        "hwr_edge.dataset": "test",
        "hwr_edge.precision": "fp32",
        "hwr_edge.accuracy": json.dumps({"eval_set": "none", "n": 1, "accuracy": 0.5}),
    }
    if metadata is not None:
        meta = {k: v for k, v in {**meta, **metadata}.items() if v is not None}
    helper.set_model_props(model, meta)
    onnx.save(model, str(path))
    return path


def write_models_dir(directory: Path, labels: list[str] = LABELS, name: str = "tiny-test-fp32"):
    """A models folder with one tiny model and a manifest naming it as the default."""
    directory.mkdir(parents=True, exist_ok=True)
    path = write_model(directory / f"{name}.onnx", labels)
    data = path.read_bytes()
    entry = {
        "name": name,
        "file": path.name,
        "sha256": hashlib.sha256(data).hexdigest(),
        "bytes": len(data),
        "arch": "tiny",
        "dataset": "test",
        "precision": "fp32",
        "labels": labels,
        "accuracy": 0.5,
        "eval_set": "none",
    }
    manifest = {"schema": 1, "default": name, "defaults": {}, "models": [entry]}
    (directory / "manifest.json").write_text(json.dumps(manifest))
    return directory


def band_crops(classes: list[int], size: int = 28) -> np.ndarray:
    """uint8 crops with a bright bar in the band of each requested class."""
    crops = np.zeros((len(classes), size, size), np.uint8)
    for i, cls in enumerate(classes):
        lo, hi = cls * size // len(LABELS), (cls + 1) * size // len(LABELS)
        crops[i, 4:24, lo:hi] = 255
    return crops


@pytest.fixture()
def tiny(tmp_path):
    return load_model(write_model(tmp_path / "tiny.onnx"), threads=1)


def test_labels_convention_and_info(tiny, tmp_path):
    assert tiny.labels == LABELS
    assert tiny.convention == InputConvention()
    assert tiny.info["name"] == "tiny"
    assert tiny.info["arch"] == "tiny" and tiny.info["precision"] == "fp32"
    assert tiny.info["accuracy"] == 0.5
    expected = hashlib.sha256((tmp_path / "tiny.onnx").read_bytes()).hexdigest()
    assert tiny.info["sha256"] == expected


def test_predict_batches_and_picks_the_right_class(tiny):
    order = [2, 0, 3, 1, 1]
    chars, conf = tiny.predict(band_crops(order))
    assert chars == [LABELS[i] for i in order]
    assert conf.shape == (5,) and conf.dtype == np.float32
    assert np.all(conf > 0.9)
    probs = tiny.predict_proba(band_crops(order))
    assert probs.shape == (5, 4) and probs.dtype == np.float32
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-5)


def test_large_batches_run_in_bounded_chunks_with_the_same_result(tiny):
    from hwr_edge.classifier import MAX_BATCH

    order = [i % 4 for i in range(2 * MAX_BATCH + 5)]
    crops = band_crops(order)
    one_by_one = np.concatenate([tiny.predict_proba(c) for c in crops])
    sizes = []
    run = tiny._session.run
    tiny._session.run = lambda out, feed: (
        sizes.append(len(next(iter(feed.values())))) or run(out, feed)
    )
    probs = tiny.predict_proba(crops)
    assert sizes == [MAX_BATCH, MAX_BATCH, 5]
    np.testing.assert_allclose(probs, one_by_one, rtol=1e-5, atol=1e-6)


def test_predict_accepts_empty_batch_and_nhwc(tiny):
    chars, conf = tiny.predict(np.zeros((0, 28, 28), np.uint8))
    assert chars == [] and conf.shape == (0,)
    chars, _ = tiny.predict(band_crops([3])[..., None])
    assert chars == ["D"]


def test_predict_refuses_wrong_crop_size(tiny):
    with pytest.raises(ValueError, match="28 x 28"):
        tiny.predict(np.zeros((2, 32, 32), np.uint8))


def test_parallel_predictions_are_identical(tiny):
    rng = np.random.default_rng(0)
    crops = rng.integers(0, 256, (64, 28, 28), dtype=np.uint8)
    reference = tiny.predict_proba(crops)
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda _: tiny.predict_proba(crops), range(16)))
    for probs in results:
        np.testing.assert_array_equal(probs, reference)


def test_dynamic_output_size_is_probed(tmp_path):
    clf = load_model(write_model(tmp_path / "dyn.onnx", static_output=False))
    assert len(clf.labels) == 4


@pytest.mark.parametrize("static", [True, False])
def test_labels_output_size_mismatch_is_refused(tmp_path, static):
    path = write_model(tmp_path / "bad.onnx", LABELS, n_outputs=5, static_output=static)
    with pytest.raises(ModelError, match="5 outputs but 4 labels"):
        load_model(path)


@pytest.mark.parametrize("key", ["hwr_edge.labels", "hwr_edge.input"])
def test_missing_metadata_is_refused(tmp_path, key):
    path = write_model(tmp_path / "nometa.onnx", metadata={key: None})
    with pytest.raises(ModelError, match=key):
        load_model(path)


def test_bad_labels_metadata_is_refused(tmp_path):
    path = write_model(tmp_path / "dup.onnx", metadata={"hwr_edge.labels": '["A", "A", "B", "C"]'})
    with pytest.raises(ModelError, match="distinct"):
        load_model(path)


def test_garbage_file_is_a_model_error(tmp_path):
    path = tmp_path / "garbage.onnx"
    path.write_bytes(b"this is not a protobuf at all \x00\xff" * 10)
    with pytest.raises(ModelError, match="not a valid ONNX model") as info:
        load_model(path)
    assert "\n" not in str(info.value)


def test_manifest_model_loads_by_name_and_default(tmp_path, monkeypatch):
    write_models_dir(tmp_path / "models")
    monkeypatch.setenv("HWR_EDGE_MODELS", str(tmp_path / "models"))
    by_default = load_model()
    by_name = load_model("tiny-test-fp32")
    assert by_default.info["name"] == by_name.info["name"] == "tiny-test-fp32"
    assert by_name.info["eval_set"] == "none"


def test_manifest_labels_must_match_metadata(tmp_path, monkeypatch):
    directory = write_models_dir(tmp_path / "models")
    manifest = json.loads((directory / "manifest.json").read_text())
    manifest["models"][0]["labels"] = ["W", "X", "Y", "Z"]
    (directory / "manifest.json").write_text(json.dumps(manifest))
    monkeypatch.setenv("HWR_EDGE_MODELS", str(directory))
    with pytest.raises(ModelError, match="labels differ"):
        load_model("tiny-test-fp32")


def test_threads_must_be_positive(tmp_path):
    with pytest.raises(ModelError, match="threads"):
        load_model(write_model(tmp_path / "t.onnx"), threads=0)
