"""Rebuild a trainable Keras run from a shipped fp32 ``edgenet`` ONNX file.

``python -m export recover models/edgenet-emnist47-fp32.onnx --data-dir ../shared/data/emnist
--out runs/edgenet-emnist47-shipped`` writes a run directory that ``python -m export train
--resume-from`` continues, for when the training run behind a shipped model is gone.

tf2onnx folds each BatchNormalization into the layer before it (a Conv's weights and bias; a
Dense layer's Mul and Add). The rebuilt model puts the folded weights back and gives each BN
layer the statistics its inputs have on the training images, with the scale and shift that
keep its inference output unchanged; so the first training steps, which normalize by batch
statistics, start from the shipped function rather than from a distorted one.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from export.arch import build_model
from export.evaluate import as_input


class RecoverError(ValueError):
    """The ONNX file is not a model this module can rebuild."""


def folded_weights(onnx_path: Path) -> tuple[list, dict]:
    """The folded layers of an edgenet ONNX graph, in order, and its metadata: a list of
    ``("conv", kernel_hwio, bias)``, ``("dense_bn", kernel, scale, shift)`` and
    ``("dense", kernel, bias)``."""
    import onnx
    from google.protobuf.message import DecodeError
    from onnx import numpy_helper

    try:
        model = onnx.load(str(onnx_path))
    except DecodeError as exc:
        raise RecoverError(f"{onnx_path}: not an ONNX file ({exc})") from None
    meta = {p.key: p.value for p in model.metadata_props}
    if meta.get("hwr_edge.arch") != "edgenet" or meta.get("hwr_edge.precision") != "fp32":
        raise RecoverError(f"{onnx_path}: not an fp32 edgenet model of this project")
    init = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
    consumer = {name: node for node in model.graph.node for name in node.input}
    layers = []
    for node in model.graph.node:
        if node.op_type == "Conv":
            kernel = init[node.input[1]].transpose(2, 3, 1, 0)
            bias = init[node.input[2]] if len(node.input) > 2 else np.zeros(kernel.shape[-1])
            layers.append(("conv", kernel, bias.astype(kernel.dtype)))
        elif node.op_type == "MatMul":
            kernel = init[node.input[1]]
            after = consumer[node.output[0]]
            if after.op_type == "Mul":
                shift = init[consumer[after.output[0]].input[1]]
                layers.append(("dense_bn", kernel, init[after.input[1]], shift))
            else:  # the output layer; a bias of zeros is left out of the graph
                zeros = np.zeros(kernel.shape[1], kernel.dtype)
                bias = init[after.input[1]] if after.op_type == "Add" else zeros
                layers.append(("dense", kernel, bias))
    if [k for k, *_ in layers] != ["conv", "conv", "conv", "dense_bn", "dense"]:
        raise RecoverError(f"{onnx_path}: unexpected layers {[k for k, *_ in layers]}")
    return layers, meta


def rebuild(layers: list, num_classes: int):
    """An edgenet Keras model computing what the folded ``layers`` compute (inference mode);
    each BN layer is the identity times its folded scale plus its folded shift."""
    model = build_model("edgenet", num_classes)
    convs, norms, denses = (
        _layers(model, kind) for kind in ("Conv2D", "BatchNormalization", "Dense")
    )
    for conv, norm, (_, kernel, bias) in zip(convs, norms[:3], layers[:3], strict=True):
        conv.set_weights([kernel])
        norm.set_weights(_bn(norm, np.ones_like(bias), bias))
    _, kernel, scale, shift = layers[3]
    denses[0].set_weights([kernel])
    norms[3].set_weights(_bn(norms[3], scale, shift))
    denses[1].set_weights(list(layers[4][1:]))
    return model


def _layers(model, kind: str) -> list:
    """The model's layers of the Keras class named ``kind``, in order."""
    return [layer for layer in model.layers if type(layer).__name__ == kind]


def _bn(norm, scale: np.ndarray, shift: np.ndarray) -> list:
    """BN weights (gamma, beta, mean, variance) that compute ``x * scale + shift``."""
    var = np.full_like(scale, 1.0 - norm.epsilon)
    return [scale, shift, np.zeros_like(scale), var]


def calibrate(model, x: np.ndarray, batch: int = 512) -> None:
    """Give each BN layer its inputs' mean and variance over ``x`` (inference mode up to it)
    and the gamma and beta that keep its inference output as it was. As no layer's output
    changes, every BN layer's inputs are taken in one pass before any is changed."""
    import keras

    norms = _layers(model, "BatchNormalization")
    probe = keras.Model(model.inputs, [norm.input for norm in norms])
    outputs = [probe.predict(x[i : i + batch], verbose=0) for i in range(0, len(x), batch)]
    for k, norm in enumerate(norms):
        acts = np.concatenate([out[k] for out in outputs])
        axes = tuple(range(acts.ndim - 1))
        mean, var = acts.mean(axes), acts.var(axes)
        gamma, beta, old_mean, old_var = norm.get_weights()
        old_std = np.sqrt(old_var + norm.epsilon)
        new_std = np.sqrt(var + norm.epsilon)
        norm.set_weights(
            [gamma * new_std / old_std, beta + gamma * (mean - old_mean) / old_std, mean, var]
        )


def recover(
    onnx_path: Path, data_dir: Path, out: Path, calib_n: int = 10000, seed: int = 0
) -> dict:
    """Write ``out`` (model.keras, labels.json, convention.json, metrics.json) from the fp32
    ONNX file; BN statistics from ``calib_n`` fitting images of the dataset (the training
    split without its validation tenth). Returns the metrics written."""
    from export.data import load
    from export.train import split_validation

    layers, meta = folded_weights(onnx_path)
    labels = json.loads(meta["hwr_edge.labels"])
    convention = json.loads(meta["hwr_edge.input"])
    dataset = meta["hwr_edge.dataset"]
    model = rebuild(layers, len(labels))
    train_set = load(dataset, data_dir, "train")
    fit_part, val_part = split_validation(len(train_set.y), 0.1, seed)
    pick = np.random.default_rng(seed).choice(fit_part, min(calib_n, len(fit_part)), False)
    x_cal = as_input(train_set.x[pick])
    before = model.predict(x_cal[:1000], verbose=0)
    calibrate(model, x_cal)
    after = model.predict(x_cal[:1000], verbose=0)
    x_val, y_val = as_input(train_set.x[val_part]), train_set.y[val_part]
    probs = model.predict(x_val, batch_size=512, verbose=0)
    val_loss = float(-np.mean(np.log(np.maximum(probs[np.arange(len(y_val)), y_val], 1e-7))))
    val_acc = float(np.mean(probs.argmax(1) == y_val))
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    model.save(out / "model.keras")
    (out / "labels.json").write_text(json.dumps(labels))
    (out / "convention.json").write_text(json.dumps(convention))
    metrics = {
        "arch": "edgenet",
        "dataset": dataset,
        "labels": labels,
        "recovered_from": str(onnx_path),
        "source_sha256": meta.get("hwr_edge.source_sha256"),
        "best_epoch": 0,
        "train_seconds": 0.0,
        "calibration_max_abs_diff": float(np.abs(after - before).max()),
        "history": {"val_loss": [val_loss], "val_accuracy": [val_acc]},
    }
    (out / "metrics.json").write_text(json.dumps(metrics, indent=2))
    return metrics


def _run(args: argparse.Namespace) -> int:
    try:
        metrics = recover(args.onnx, args.data_dir, args.out, args.calib_n)
    except (ValueError, OSError, KeyError) as exc:  # RecoverError, DataError, missing files
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(
        f"{args.out}: validation loss {metrics['history']['val_loss'][0]:.4f}, accuracy "
        f"{metrics['history']['val_accuracy'][0]:.4f}; BN calibration changed outputs by at "
        f"most {metrics['calibration_max_abs_diff']:.2e}"
    )
    return 0


def register(subparsers) -> None:
    """Add the ``recover`` subcommand."""
    p = subparsers.add_parser("recover", help="rebuild a trainable Keras run from an fp32 ONNX")
    p.add_argument("onnx", type=Path, help="fp32 edgenet ONNX file built by this project")
    p.add_argument("--data-dir", type=Path, required=True, help="the model's dataset folder")
    p.add_argument("--out", type=Path, required=True, help="run directory to write")
    p.add_argument("--calib-n", type=int, default=10000, help="images for the BN statistics")
    p.set_defaults(func=_run)
