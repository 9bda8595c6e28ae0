"""Keras -> ONNX conversion (``image`` in, ``probs`` out, dynamic batch) and the parity gate."""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

import numpy as np

INPUT_NAME = "image"
OUTPUT_NAME = "probs"
BATCH_DIM = "N"
OPSET = 17
PARITY_ATOL = 1e-4
PARITY_MIN_IMAGES = 1000


class ExportError(Exception):
    """A build-stage step failed (gate not met, bad input); the CLI prints it as one line."""


def to_input(x: np.ndarray, scale: float = 255.0) -> np.ndarray:
    """uint8 ``N x 28 x 28`` images -> float32 ``N x 28 x 28 x 1`` model input (pixel / scale)."""
    return (np.asarray(x, dtype=np.float32) / np.float32(scale))[..., None]


def session(path: Path, threads: int = 1, level: str = "all"):
    """An onnxruntime CPU session with ``threads`` intra-op threads and graph optimization
    ``level`` ("basic", "extended" or "all")."""
    import onnxruntime as ort

    levels = {
        "basic": ort.GraphOptimizationLevel.ORT_ENABLE_BASIC,
        "extended": ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED,
        "all": ort.GraphOptimizationLevel.ORT_ENABLE_ALL,
    }
    opts = ort.SessionOptions()
    opts.graph_optimization_level = levels[level]
    opts.intra_op_num_threads = threads
    opts.inter_op_num_threads = 1
    opts.log_severity_level = 3
    return ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])


def onnx_predict(path_or_session, x: np.ndarray, batch: int = 512) -> np.ndarray:
    """Probabilities of an ONNX model for float32 input ``x`` (run in batches)."""
    sess = session(path_or_session) if isinstance(path_or_session, str | Path) else path_or_session
    outs = [
        sess.run([OUTPUT_NAME], {INPUT_NAME: x[i : i + batch]})[0] for i in range(0, len(x), batch)
    ]
    return np.concatenate(outs) if outs else np.zeros((0, 0), np.float32)


def rename_io(model) -> None:
    """Rename the single graph input/output to ``image``/``probs`` and the batch dim to ``N``."""
    graph = model.graph
    initializers = {t.name for t in graph.initializer}
    inputs = [i for i in graph.input if i.name not in initializers]
    if len(inputs) != 1 or len(graph.output) != 1:
        raise ExportError(
            f"expected one input and one output, got {len(inputs)} and {len(graph.output)}"
        )
    renames = {inputs[0].name: INPUT_NAME, graph.output[0].name: OUTPUT_NAME}
    for node in graph.node:
        node.input[:] = [renames.get(n, n) for n in node.input]
        node.output[:] = [renames.get(n, n) for n in node.output]
    inputs[0].name = INPUT_NAME
    graph.output[0].name = OUTPUT_NAME
    for value in (inputs[0], graph.output[0]):
        dim = value.type.tensor_type.shape.dim[0]
        dim.ClearField("dim_value")
        dim.dim_param = BATCH_DIM


def keras_to_onnx(model, path: Path, opset: int = OPSET) -> Path:
    """Export a Keras model taking ``N x 28 x 28 x 1`` float32 to ONNX at ``path``."""
    import keras
    import onnx

    model(np.zeros((1, 28, 28, 1), np.float32))
    spec = [keras.InputSpec(shape=(None, 28, 28, 1), dtype="float32")]
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "raw.onnx"
        model.export(
            str(raw), format="onnx", input_signature=spec, opset_version=opset, verbose=False
        )
        proto = onnx.load(str(raw))
    rename_io(proto)
    onnx.checker.check_model(proto)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(proto, str(path))
    return path


def parity_gate(keras_probs: np.ndarray, onnx_probs: np.ndarray, atol: float = PARITY_ATOL) -> dict:
    """Compare Keras and ONNX probabilities; raise ExportError unless they agree within ``atol``."""
    if keras_probs.shape != onnx_probs.shape:
        raise ExportError(
            f"parity gate: output shapes differ ({keras_probs.shape} vs {onnx_probs.shape})"
        )
    n = len(keras_probs)
    if n < PARITY_MIN_IMAGES:
        raise ExportError(f"parity gate needs at least {PARITY_MIN_IMAGES} images, got {n}")
    max_diff = float(np.max(np.abs(keras_probs - onnx_probs)))
    mismatches = int(np.sum(keras_probs.argmax(1) != onnx_probs.argmax(1)))
    report = {"n": n, "max_abs_diff": max_diff, "argmax_mismatches": mismatches}
    if not max_diff <= atol or mismatches:
        raise ExportError(
            f"parity gate failed on {n} images: max |dprob| {max_diff:.3g} (limit {atol:g}), "
            f"{mismatches} argmax mismatches"
        )
    return report


def convert_and_check(model, path: Path, x_test: np.ndarray, scale: float = 255.0) -> dict:
    """Convert ``model`` to ``path`` and run the parity gate on uint8 test images ``x_test``."""
    keras_to_onnx(model, path)
    x = to_input(x_test, scale)
    keras_probs = np.asarray(model.predict(x, batch_size=512, verbose=0), dtype=np.float32)
    return parity_gate(keras_probs, onnx_predict(path, x))


def run_info(run_dir: Path) -> dict:
    """arch, dataset, convention (dict) and the .keras path of a training run directory."""
    run_dir = Path(run_dir)
    keras_path = run_dir / "model.keras"
    if not keras_path.is_file():
        raise ExportError(f"{run_dir}: no model.keras (not a training run directory)")
    metrics = _read_json(run_dir / "metrics.json")
    arch, _, dataset = run_dir.name.partition("-")
    conv_path = run_dir / "convention.json"
    return {
        "arch": metrics.get("arch", arch),
        "dataset": metrics.get("dataset", dataset),
        "metrics": metrics,
        "convention": _read_json(conv_path) if conv_path.is_file() else {},
        "keras": keras_path,
    }


def _read_json(path: Path) -> dict:
    """A JSON object from ``path`` ({} when missing); ExportError when it is not valid JSON."""
    if not path.is_file():
        return {}
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise ExportError(f"{path}: invalid JSON ({exc})") from None


def dataset_dir(data_root: Path, dataset: str) -> Path:
    """The folder of ``dataset`` ("mnist" or "emnist47") under the shared data root."""
    names = {"mnist": "mnist", "emnist47": "emnist"}
    if dataset not in names:
        raise ExportError(f"unknown dataset {dataset!r} (use mnist or emnist47)")
    return Path(data_root) / names[dataset]


def load_keras(path: Path):
    """Load a ``.keras`` model for inference."""
    import keras

    return keras.models.load_model(str(path), compile=False)


def convert_run(run_dir: Path, out: Path, data_root: Path, parity_n: int = 2000) -> dict:
    """Convert a run's model.keras to ``out`` and gate it on ``parity_n`` real test images."""
    from export.data import load_dataset

    info = run_info(run_dir)
    x_test, _, _ = load_dataset(info["dataset"], dataset_dir(data_root, info["dataset"]), "test")
    scale = float(info["convention"].get("scale", 255.0))
    return convert_and_check(load_keras(info["keras"]), out, x_test[:parity_n], scale)


def register(subparsers) -> None:
    """Add ``python -m export convert``."""
    p = subparsers.add_parser("convert", help="Keras run -> ONNX fp32 with the parity gate")
    p.add_argument("run", type=Path, help="training run directory (holds model.keras)")
    p.add_argument("--out", type=Path, required=True, help="output .onnx path")
    p.add_argument("--data-root", type=Path, default=Path("../shared/data"))
    p.add_argument("--parity-n", type=int, default=2000, help="test images for the parity gate")
    p.set_defaults(func=_cli)


def _cli(args) -> int:
    """Run the convert subcommand; failures become one ``error:`` line."""
    try:
        report = convert_run(args.run, args.out, args.data_root, args.parity_n)
    except (ExportError, OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"wrote {args.out}: parity {json.dumps(report)}")
    return 0
