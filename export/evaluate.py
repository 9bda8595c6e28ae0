"""Metrics for a trained model: accuracy, macro P/R/F1, confusion matrix, most-confused pairs.

``python -m export evaluate --model runs/lenet5-mnist/model.keras --dataset mnist
--data-dir ../shared/data/mnist`` prints the metrics as JSON (``.onnx`` models work too).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np

from export.data import DataError, digits_subset, load
from hwr_edge.classifier import NON_CHARACTERS


def as_input(x: np.ndarray) -> np.ndarray:
    """Model input for uint8 crops: float32 N x 28 x 28 x 1 in [0, 1]."""
    return (np.asarray(x, dtype=np.float32) / 255.0)[..., None]


def predict_proba(model_or_fn, x: np.ndarray, batch_size: int = 512) -> np.ndarray:
    """Class probabilities from a Keras model (``.predict``) or a ``fn(float_batch) -> probs``."""
    inputs = as_input(x)
    if hasattr(model_or_fn, "predict"):
        return np.asarray(model_or_fn.predict(inputs, batch_size=batch_size, verbose=0))
    parts = [model_or_fn(inputs[i : i + batch_size]) for i in range(0, len(inputs), batch_size)]
    return np.concatenate([np.asarray(p) for p in parts])


def most_confused(cm: np.ndarray, labels: list[str], top: int = 10) -> list[dict]:
    """The ``top`` off-diagonal (true, predicted) pairs by count."""
    off = cm.copy()
    np.fill_diagonal(off, 0)
    order = np.argsort(off, axis=None)[::-1][:top]
    pairs = []
    for flat in order:
        t, p = np.unravel_index(flat, off.shape)
        if off[t, p] == 0:
            break
        pairs.append({"true": labels[t], "pred": labels[p], "count": int(off[t, p])})
    return pairs


def evaluate(model_or_predict_fn: Callable | object, x, y, labels: list[str]) -> dict:
    """Accuracy, macro precision/recall/F1 (scikit-learn), confusion matrix and the
    most-confused pairs of a model (or predict function) on uint8 crops ``x`` with labels ``y``.
    A "not a character" or "touching characters" prediction counts as an error; those classes
    are left out of the macro averages (the evaluation sets have no such images)."""
    from sklearn.metrics import confusion_matrix, precision_recall_fscore_support

    y = np.asarray(y)
    pred = predict_proba(model_or_predict_fn, x).argmax(axis=1)
    classes = [i for i, label in enumerate(labels) if label not in NON_CHARACTERS]
    precision, recall, f1, _ = precision_recall_fscore_support(
        y, pred, labels=classes, average="macro", zero_division=0
    )
    cm = confusion_matrix(y, pred, labels=list(range(len(labels))))
    return {
        "n": int(len(y)),
        "accuracy": float((pred == y).mean()),
        "precision_macro": float(precision),
        "recall_macro": float(recall),
        "f1_macro": float(f1),
        "most_confused": most_confused(cm, labels),
        "confusion": cm.tolist(),
        "labels": list(labels),
    }


def plot_confusion(metrics: dict, path: Path, title: str = "") -> None:
    """Save the confusion matrix in ``metrics`` as a PNG (row-normalized colours, counts)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cm = np.asarray(metrics["confusion"], dtype=float)
    labels = metrics["labels"]
    norm = cm / np.maximum(cm.sum(axis=1, keepdims=True), 1)
    side = max(5.0, 0.22 * len(labels))
    fig, ax = plt.subplots(figsize=(side, side))
    ax.imshow(norm, cmap="Blues", vmin=0, vmax=1)
    ax.set_xticks(range(len(labels)), labels, fontsize=7)
    ax.set_yticks(range(len(labels)), labels, fontsize=7)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title or f"accuracy {metrics['accuracy']:.4f} (n={metrics['n']})")
    if len(labels) <= 12:
        for (t, p), count in np.ndenumerate(cm.astype(int)):
            color = "white" if norm[t, p] > 0.5 else "black"
            ax.text(p, t, str(count), ha="center", va="center", fontsize=7, color=color)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def onnx_predict_fn(path: Path) -> Callable:
    """A predict function over an ONNX model file (input ``image``, output ``probs``)."""
    import onnxruntime as ort

    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name
    return lambda batch: session.run(None, {name: batch})[0]


def load_predictor(path: Path):
    """A Keras model (``.keras``) or an ONNX predict function (``.onnx``) from ``path``."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: model file not found")
    if path.suffix == ".onnx":
        return onnx_predict_fn(path)
    import keras

    return keras.models.load_model(path)


def summary(metrics: dict) -> dict:
    """``metrics`` without the bulky confusion matrix and label list."""
    return {k: v for k, v in metrics.items() if k not in ("confusion", "labels")}


def run(args: argparse.Namespace) -> int:
    """``python -m export evaluate``: print metrics JSON, optionally save a confusion PNG."""
    try:
        if args.digits_of_emnist:
            ds = digits_subset(args.data_dir)
        else:
            ds = load(args.dataset, args.data_dir, args.split)
        model = load_predictor(args.model)
        metrics = evaluate(model, ds.x, ds.y, ds.labels)
    except (DataError, OSError, ValueError) as exc:
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        print(f"error: {message}", file=sys.stderr)
        return 2
    metrics["dedup_removed"] = ds.removed
    if args.confusion:
        plot_confusion(metrics, args.confusion)
    print(json.dumps(summary(metrics), indent=2))
    return 0


def register(subparsers) -> None:
    """Add the ``evaluate`` subcommand."""
    p = subparsers.add_parser("evaluate", help="metrics of a .keras or .onnx model on a test set")
    p.add_argument("--model", type=Path, required=True, help="model.keras or model.onnx")
    p.add_argument("--dataset", choices=["mnist", "emnist47"], default="mnist")
    p.add_argument("--data-dir", type=Path, required=True)
    p.add_argument("--split", choices=["train", "test"], default="test")
    p.add_argument(
        "--digits-of-emnist",
        action="store_true",
        help="evaluate a digits model on the digits of the deduplicated EMNIST balanced part "
        "(--data-dir is then the EMNIST folder)",
    )
    p.add_argument("--confusion", type=Path, help="write the confusion matrix PNG here")
    p.set_defaults(func=run)
