"""Character classifier: one onnxruntime session per model, labels and input convention
read from the model's own metadata.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

from hwr_edge import registry
from hwr_edge.convention import InputConvention
from hwr_edge.errors import ModelError

LABELS_KEY = "hwr_edge.labels"
INPUT_KEY = "hwr_edge.input"
NOT_A_CHARACTER = "\ufffd"  # the label of a model's "not a character" class, when it has one
TOUCHING_CHARACTERS = "\ufffc"  # ... and of its "several touching characters" class
NON_CHARACTERS = (NOT_A_CHARACTER, TOUCHING_CHARACTERS)  # classes that are no reading
MAX_BATCH = 32  # crops per onnxruntime run


class Classifier:
    """An ONNX character model. ``predict``/``predict_proba`` are safe to call from many threads.

    Attributes: ``labels`` (one string per output class), ``convention`` (how crops must
    look), ``info`` (name, path, arch, dataset, precision, accuracy, sha256) and ``threads``.
    """

    def __init__(self, model: registry.ModelInfo, threads: int | None = None):
        self.threads = threads
        self._session = _open_session(model.path, threads)
        meta = self._session.get_modelmeta().custom_metadata_map
        self.labels = _read_labels(meta, model.path)
        self.convention = _read_convention(meta, model.path)
        self._input = self._session.get_inputs()[0]
        self._output = self._session.get_outputs()[0].name
        _check_shapes(self._session, self.convention.size, len(self.labels), model.path)
        if model.entry is not None and model.entry.get("labels") not in (None, self.labels):
            raise ModelError(f"{model.path}: labels differ between the manifest and the model")
        self.info = _model_info(model, meta)

    def __repr__(self) -> str:
        return f"Classifier({self.info['name']!r}, classes={len(self.labels)})"

    def predict_proba(self, crops: np.ndarray) -> np.ndarray:
        """Class probabilities (float32 N x C) for uint8 N x S x S crops, in batched runs of at
        most ``MAX_BATCH`` crops: a run's memory grows with its batch (1,000 crops of the
        default model in one run raised the peak RSS by 210 MB, in runs of 32 by 3 MB), and
        its speed per crop barely changes beyond 32."""
        crops = np.asarray(crops)
        size = self.convention.size
        if crops.ndim == 4 and crops.shape[-1] == 1:
            crops = crops[..., 0]
        if crops.ndim == 2 and crops.shape == (size, size):
            crops = crops[None]
        if crops.ndim != 3 or crops.shape[1:] != (size, size):
            raise ValueError(f"expected N x {size} x {size} crops, got shape {crops.shape}")
        if len(crops) == 0:
            return np.zeros((0, len(self.labels)), np.float32)
        scale = np.float32(self.convention.scale)
        out = np.empty((len(crops), len(self.labels)), np.float32)
        for start in range(0, len(crops), MAX_BATCH):
            batch = (crops[start : start + MAX_BATCH].astype(np.float32) / scale)[..., None]
            out[start : start + MAX_BATCH] = self._session.run(
                [self._output], {self._input.name: batch}
            )[0]
        return out

    def predict(self, crops: np.ndarray) -> tuple[list[str], np.ndarray]:
        """Most likely character and its probability for each crop."""
        probs = self.predict_proba(crops)
        best = probs.argmax(axis=1) if len(probs) else np.zeros(0, np.int64)
        return [self.labels[i] for i in best], probs[np.arange(len(best)), best]


def load_model(
    name_or_path: str | os.PathLike | None = None,
    threads: int | None = None,
    charset: str | None = None,
) -> Classifier:
    """Load a model by manifest name or ``.onnx`` path (None: the manifest's default).

    ``threads`` sets onnxruntime's intra-op threads (None: its default). ``charset`` picks the
    manifest's per-charset default (e.g. ``digits``) when no model is named. A manifest model
    is refused unless its sha256 matches the manifest.
    """
    info = registry.resolve(name_or_path, charset=charset)
    registry.verify(info)
    return Classifier(info, threads=threads)


def _open_session(path: Path, threads: int | None):
    """An onnxruntime CPU session tuned for small batches; load failures become ModelError."""
    import onnxruntime as ort

    if threads is not None and threads < 1:
        raise ModelError(f"threads must be at least 1, not {threads}")
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads or 0
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.log_severity_level = 3
    try:
        return ort.InferenceSession(
            str(path), sess_options=options, providers=["CPUExecutionProvider"]
        )
    except Exception as exc:  # onnxruntime raises its own pybind exception types
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ModelError(f"{path}: not a valid ONNX model ({reason[:160]})") from None


def _read_labels(meta: dict, path: Path) -> list[str]:
    """The model's class labels from its ``hwr_edge.labels`` metadata."""
    if LABELS_KEY not in meta:
        raise ModelError(f"{path}: no {LABELS_KEY} metadata (not an hwr-edge model)")
    try:
        labels = json.loads(meta[LABELS_KEY])
    except json.JSONDecodeError:
        raise ModelError(f"{path}: {LABELS_KEY} metadata is not JSON") from None
    if not isinstance(labels, list) or not labels:
        raise ModelError(f"{path}: {LABELS_KEY} metadata is not a list of labels")
    if not all(isinstance(c, str) and len(c) == 1 for c in labels) or len(set(labels)) != len(
        labels
    ):
        raise ModelError(f"{path}: {LABELS_KEY} must be distinct one-character strings")
    return labels


def _read_convention(meta: dict, path: Path) -> InputConvention:
    """The crop convention from the model's ``hwr_edge.input`` metadata."""
    if INPUT_KEY not in meta:
        raise ModelError(f"{path}: no {INPUT_KEY} metadata (not an hwr-edge model)")
    try:
        return InputConvention.from_json(meta[INPUT_KEY])
    except (json.JSONDecodeError, TypeError, ValueError):
        raise ModelError(f"{path}: {INPUT_KEY} metadata is not a valid input convention") from None


def _check_shapes(session, size: int, n_labels: int, path: Path) -> None:
    """Refuse a model whose input is not N x S x S x 1 or whose output size != len(labels)."""
    inp = session.get_inputs()[0]
    expected = (size, size, 1)
    if len(inp.shape) != 4 or any(
        isinstance(d, int) and d != e for d, e in zip(inp.shape[1:], expected, strict=True)
    ):
        raise ModelError(f"{path}: input shape {inp.shape} is not [N, {size}, {size}, 1]")
    out = session.get_outputs()[0]
    classes = out.shape[-1] if out.shape and isinstance(out.shape[-1], int) else None
    if classes is None:
        probe = np.zeros((1, *expected), np.float32)
        try:
            classes = session.run([out.name], {inp.name: probe})[0].shape[-1]
        except Exception as exc:  # onnxruntime's own exception types
            reason = " ".join(str(exc).split())[:160]
            raise ModelError(f"{path}: the model cannot run on a 28x28 crop ({reason})") from None
    if classes != n_labels:
        raise ModelError(
            f"{path}: the model has {classes} outputs but {n_labels} labels in its metadata"
        )


def _model_info(model: registry.ModelInfo, meta: dict) -> dict:
    """The ``model`` block of a result: where the model came from and how good it is."""
    entry = model.entry or {}
    accuracy = entry.get("accuracy")
    eval_set = entry.get("eval_set")
    if accuracy is None and "hwr_edge.accuracy" in meta:
        try:
            measured = json.loads(meta["hwr_edge.accuracy"])
            accuracy, eval_set = measured.get("accuracy"), measured.get("eval_set")
        except (json.JSONDecodeError, AttributeError):
            accuracy = None
    return {
        "name": model.name,
        "path": str(model.path),
        "arch": entry.get("arch") or meta.get("hwr_edge.arch"),
        "dataset": entry.get("dataset") or meta.get("hwr_edge.dataset"),
        "precision": entry.get("precision") or meta.get("hwr_edge.precision"),
        "accuracy": accuracy,
        "eval_set": eval_set,
        "sha256": entry.get("sha256") or registry.file_sha256(model.path),
    }
