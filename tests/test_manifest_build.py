"""Metadata round trip, manifest writing/verification, defaults, and the build command."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import pytest

from export.convert import ExportError
from export.manifest import (
    model_metadata,
    read_metadata,
    verify_manifest,
    write_manifest,
    write_metadata,
)

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data"
CONVENTION = {"size": 28, "fit_box": 20, "center": "mass", "stroke_px": None}


def tiny_onnx(path: Path, classes: int, seed: int = 0) -> Path:
    """A valid model with the contract's I/O: image [N,28,28,1] -> MatMul -> Softmax -> probs."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    w = np.random.default_rng(seed).normal(size=(784, classes)).astype(np.float32)
    graph = helper.make_graph(
        [
            helper.make_node("Reshape", ["image", "shape"], ["flat"]),
            helper.make_node("MatMul", ["flat", "w"], ["logits"]),
            helper.make_node("Softmax", ["logits"], ["probs"], axis=1),
        ],
        "tiny",
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, ["N", 28, 28, 1])],
        [helper.make_tensor_value_info("probs", TensorProto.FLOAT, ["N", classes])],
        [numpy_helper.from_array(w, "w"), numpy_helper.from_array(np.array([-1, 784]), "shape")],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)
    onnx.checker.check_model(model)
    onnx.save(model, str(path))
    return path


def props(labels, dataset="mnist", precision="int8", accuracy=0.99):
    record = {"eval_set": "MNIST test (10,000)", "n": 10000, "accuracy": accuracy}
    return model_metadata(labels, CONVENTION, "lenet5", dataset, precision, record, "ab" * 32)


def models_dir(tmp_path: Path) -> Path:
    """A models folder with a 3-class 'digits' and a 4-class 'alnum' int8 model."""
    tiny_onnx(tmp_path / "lenet5-mnist-int8.onnx", 3)
    write_metadata(tmp_path / "lenet5-mnist-int8.onnx", props(["0", "1", "2"]))
    tiny_onnx(tmp_path / "lenet5-emnist47-int8.onnx", 4, seed=1)
    meta = props(["0", "A", "B", "C"], dataset="emnist47", accuracy=0.86)
    write_metadata(tmp_path / "lenet5-emnist47-int8.onnx", meta)
    return tmp_path


def test_metadata_round_trip_and_runtime_visibility(tmp_path):
    import onnxruntime as ort

    path = tiny_onnx(tmp_path / "m.onnx", 3)
    write_metadata(path, props(["0", "1", "2"]))
    write_metadata(path, props(["7", "8", "9"], precision="fp32"))  # replaces, never duplicates
    meta = read_metadata(path)
    assert json.loads(meta["labels"]) == ["7", "8", "9"]
    assert meta["precision"] == "fp32" and meta["arch"] == "lenet5" and meta["dataset"] == "mnist"
    assert json.loads(meta["input"])["fit_box"] == 20
    assert json.loads(meta["accuracy"])["n"] == 10000
    assert "onnxruntime" in json.loads(meta["versions"])
    assert "MNIST test" in meta["protocol"]
    runtime = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    custom = runtime.get_modelmeta().custom_metadata_map
    assert sum(k.startswith("hwr_edge.") for k in custom) == 9
    assert custom["hwr_edge.source_sha256"] == "ab" * 32


def test_labels_that_do_not_match_the_output_size_are_refused(tmp_path):
    path = tiny_onnx(tmp_path / "m.onnx", 3)
    before = path.read_bytes()
    with pytest.raises(ExportError, match="4 labels but the model outputs 3"):
        write_metadata(path, props(["0", "1", "2", "3"]))
    with pytest.raises(ExportError, match="one-character"):
        write_metadata(path, props(["0", "1", "22"]))
    assert path.read_bytes() == before


def test_metadata_rejects_unknown_values():
    with pytest.raises(ExportError, match="precision"):
        props(["0"], precision="fp16")
    with pytest.raises(ExportError, match="dataset"):
        props(["0"], dataset="kmnist")


def test_manifest_round_trip(tmp_path):
    folder = models_dir(tmp_path)
    defaults = {"alnum": "lenet5-emnist47-int8", "digits": "lenet5-mnist-int8"}
    path = write_manifest(folder, "lenet5-emnist47-int8", defaults)
    manifest = json.loads(path.read_text())
    assert manifest["schema"] == 1 and manifest["default"] == "lenet5-emnist47-int8"
    entries = {e["name"]: e for e in manifest["models"]}
    digits = entries["lenet5-mnist-int8"]
    assert digits["file"] == "lenet5-mnist-int8.onnx" and digits["labels"] == ["0", "1", "2"]
    assert digits["bytes"] == (folder / digits["file"]).stat().st_size
    assert len(digits["sha256"]) == 64 and digits["accuracy"] == 0.99
    assert digits["eval_set"] == "MNIST test (10,000)" and digits["precision"] == "int8"
    assert verify_manifest(folder) == []


def test_manifest_check_catches_a_single_flipped_byte(tmp_path):
    folder = models_dir(tmp_path)
    write_manifest(folder, "lenet5-emnist47-int8", {"digits": "lenet5-mnist-int8"})
    path = folder / "lenet5-mnist-int8.onnx"
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    problems = verify_manifest(folder)
    assert len(problems) == 1 and "lenet5-mnist-int8.onnx: sha256" in problems[0]


def test_manifest_check_catches_truncation_missing_and_unlisted_files(tmp_path):
    folder = models_dir(tmp_path)
    write_manifest(folder, "lenet5-emnist47-int8", {"digits": "lenet5-mnist-int8"})
    digits = folder / "lenet5-mnist-int8.onnx"
    digits.write_bytes(digits.read_bytes()[:-10])
    (folder / "lenet5-emnist47-int8.onnx").rename(folder / "extra.onnx")
    problems = " | ".join(verify_manifest(folder))
    assert "lenet5-mnist-int8.onnx:" in problems and "bytes" in problems
    assert "lenet5-emnist47-int8.onnx: file missing" in problems
    assert "extra.onnx: not listed" in problems


def test_manifest_refuses_an_unknown_default_and_models_without_metadata(tmp_path):
    folder = models_dir(tmp_path)
    with pytest.raises(ExportError, match="default model 'nope'"):
        write_manifest(folder, "nope", {})
    tiny_onnx(folder / "bare.onnx", 3)
    with pytest.raises(ExportError, match="metadata lacks"):
        write_manifest(folder, "lenet5-emnist47-int8", {})


def test_defaults_pick_the_most_accurate_small_int8_model(tmp_path):
    from export.build import choose_defaults

    folder = models_dir(tmp_path)
    tiny_onnx(folder / "edgenet-emnist47-int8.onnx", 4, seed=2)
    meta = props(["0", "A", "B", "C"], dataset="emnist47", accuracy=0.88)
    write_metadata(folder / "edgenet-emnist47-int8.onnx", meta)
    tiny_onnx(folder / "edgenet-emnist47-fp32.onnx", 4, seed=3)
    meta = props(["0", "A", "B", "C"], dataset="emnist47", precision="fp32", accuracy=0.9)
    write_metadata(folder / "edgenet-emnist47-fp32.onnx", meta)
    default, defaults = choose_defaults(folder)
    assert default == "edgenet-emnist47-int8"
    assert defaults == {"alnum": "edgenet-emnist47-int8", "digits": "lenet5-mnist-int8"}


@pytest.mark.skipif(not (REPO / "models" / "manifest.json").is_file(), reason="no shipped models")
def test_shipped_models_match_their_manifest():
    manifest = json.loads((REPO / "models" / "manifest.json").read_text())
    assert verify_manifest(REPO / "models") == []
    assert all(e["bytes"] < 25 * 1024 * 1024 for e in manifest["models"])
    assert {"alnum", "digits"} <= set(manifest["defaults"])
    shipped = {(e["arch"], e["dataset"], e["precision"]) for e in manifest["models"]}
    required = {("lenet5", "mnist", "fp32"), ("lenet5", "mnist", "int8")}
    required |= {("lenet5", "emnist47", "fp32"), ("lenet5", "emnist47", "int8")}
    required |= {("alexnet", "mnist", "int8")}
    assert required <= shipped  # the seed's two models always ship
    alnum = next(e for e in manifest["models"] if e["name"] == manifest["defaults"]["alnum"])
    from hwr_edge.classifier import NON_CHARACTERS

    characters = [c for c in alnum["labels"] if c not in NON_CHARACTERS]
    assert alnum["precision"] == "int8" and len(characters) == 47
    assert (alnum["arch"], alnum["dataset"], "fp32") in shipped  # its fp32 twin ships too


def test_build_cli_reports_missing_data_in_one_line(tmp_path, capsys):
    from export import build

    parser = argparse.ArgumentParser()
    build.register(parser.add_subparsers())
    argv = ["build", "--data-root", str(tmp_path / "nodata"), "--runs", str(tmp_path / "runs")]
    args = parser.parse_args(argv + ["--models", str(tmp_path / "m"), "--only", "lenet5-mnist"])
    assert args.func(args) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "nodata" in err and err.count("\n") == 1


@pytest.mark.skipif(not DATA.is_dir(), reason="../shared/data is absent")
def test_build_one_end_to_end_on_a_small_run(tmp_path):
    """A small real run directory goes through convert, both gates, metadata and manifest."""
    import keras

    from export.build import Spec, build_one
    from export.convert import to_input
    from export.data import load_dataset
    from hwr_edge.convention import InputConvention

    x, y, labels = load_dataset("mnist", DATA / "mnist", "train")
    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [
            keras.Input((28, 28, 1)),
            keras.layers.Conv2D(8, 5, activation="relu"),
            keras.layers.MaxPooling2D(2),
            keras.layers.Flatten(),
            keras.layers.Dense(10, activation="softmax"),
        ]
    )
    model.compile("adam", "sparse_categorical_crossentropy")
    model.fit(to_input(x[:3000]), y[:3000], epochs=1, batch_size=32, verbose=0)
    run = tmp_path / "runs" / "tiny-mnist"
    run.mkdir(parents=True)
    model.save(run / "model.keras")
    (run / "convention.json").write_text(InputConvention().to_json())
    (run / "metrics.json").write_text(json.dumps({"arch": "tiny", "dataset": "mnist"}))
    args = argparse.Namespace(
        data_root=DATA, runs=tmp_path / "runs", models=tmp_path / "models", retrain=False,
        calib_n=200, method="minmax",
    )  # fmt: skip
    lines = []
    report = build_one(Spec("tiny", "mnist", 1), args, log=lines.append)
    assert report["parity"]["n"] == 10000 and report["parity"]["argmax_mismatches"] == 0
    assert report["fp32_accuracy"] - report["int8_accuracy"] <= 0.001 + 1e-9
    assert any("parity gate passed" in line for line in lines)
    write_manifest(args.models, "tiny-mnist-int8", {"digits": "tiny-mnist-int8"})
    assert verify_manifest(args.models) == []
    meta = read_metadata(args.models / "tiny-mnist-int8.onnx")
    assert json.loads(meta["labels"]) == labels and meta["precision"] == "int8"
    assert json.loads(meta["accuracy"])["accuracy"] == report["int8_accuracy"]


def test_restamp_sets_a_convention_field_and_rewrites_the_manifest(tmp_path):
    from export.restamp import restamp
    from hwr_edge.classifier import load_model

    folder = models_dir(tmp_path)
    defaults = {"alnum": "lenet5-emnist47-int8", "digits": "lenet5-mnist-int8"}
    write_manifest(folder, "lenet5-emnist47-int8", defaults)
    target = folder / "lenet5-emnist47-int8.onnx"
    before = json.loads((folder / "manifest.json").read_text())
    restamp([target], {"blur": 0.5})
    assert json.loads(read_metadata(target)["input"])["blur"] == 0.5
    assert load_model(target).convention.blur == 0.5
    assert json.loads(read_metadata(folder / "lenet5-mnist-int8.onnx")["input"]) == CONVENTION
    after = json.loads((folder / "manifest.json").read_text())
    assert after["default"] == before["default"] and after["defaults"] == defaults
    assert verify_manifest(folder) == []
    with pytest.raises(ExportError, match="sharpness"):
        restamp([target], {"sharpness": 1.0})


@pytest.mark.skipif(not (REPO / "models" / "manifest.json").is_file(), reason="no shipped models")
def test_shipped_emnist_models_blur_their_crops_and_mnist_models_do_not():
    for entry in json.loads((REPO / "models" / "manifest.json").read_text())["models"]:
        convention = json.loads(read_metadata(REPO / "models" / entry["file"])["input"])
        assert convention.get("blur", 0.0) == (0.5 if entry["dataset"] == "emnist47" else 0.0)
