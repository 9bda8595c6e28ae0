"""Static QDQ int8 quantization (real calibration images), the accuracy gate, and latency."""

from __future__ import annotations

import json
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path

import numpy as np

from export.convert import (
    INPUT_NAME,
    OUTPUT_NAME,
    ExportError,
    dataset_dir,
    onnx_predict,
    session,
    to_input,
)

# Largest accuracy loss (percentage points) that int8 may have against fp32, per dataset.
MAX_DROP_PP = {"mnist": 0.1, "emnist47": 0.3}
METHODS = ("minmax", "percentile", "entropy")


@dataclass(frozen=True)
class QuantConfig:
    """One quantization attempt: calibration method and count, and nodes left in fp32."""

    method: str = "minmax"
    calib_n: int = 1000
    fp32_stem: bool = (
        True  # first Conv + MaxPool stay fp32 (int8 Conv with 1 input channel is slow)
    )
    fp32_head: bool = False  # last MatMul/Gemm (+ bias) stays fp32: the fallback for a failed gate
    per_channel: bool = True
    reduce_range: bool = False
    activations: str = "uint8"  # "uint8" (u8s8 kernels) or "int8" (s8s8)
    quant_format: str = "qdq"  # "qdq" (QuantizeLinear/DequantizeLinear pairs) or "qoperator"

    def describe(self) -> str:
        """Short human-readable summary for progress lines."""
        base = QuantConfig()
        changed = [
            f"{f.name}={getattr(self, f.name)}"
            for f in fields(self)
            if f.name not in ("method", "calib_n")
            and getattr(self, f.name) != getattr(base, f.name)
        ]
        return ", ".join([f"{self.method} on {self.calib_n} images", *changed])


class _Reader:
    """CalibrationDataReader over float32 ``N x 28 x 28 x 1`` images in equal batches (the
    histogram calibrators need equal shapes): the largest divisor of N up to ``max_batch``."""

    def __init__(self, x: np.ndarray, max_batch: int = 64):
        batch = next(b for b in range(min(max_batch, len(x)), 0, -1) if len(x) % b == 0)
        self._batches = iter([x[i : i + batch] for i in range(0, len(x), batch)])

    def get_next(self):
        batch = next(self._batches, None)
        return None if batch is None else {INPUT_NAME: batch}


def calibration_images(x_train: np.ndarray, n: int, seed: int = 0) -> np.ndarray:
    """``n`` training images (uint8) drawn without replacement with a fixed seed."""
    if n < 1:
        raise ExportError(f"calibration needs at least one image, got {n}")
    rng = np.random.default_rng(seed)
    return x_train[rng.choice(len(x_train), size=min(n, len(x_train)), replace=False)]


def head_nodes(graph) -> tuple[str, ...]:
    """Names of the nodes from the Softmax producing ``probs`` back to the last MatMul/Gemm."""
    producer = {out: node for node in graph.node for out in node.output}
    names, node = [], producer.get(OUTPUT_NAME)
    while node is not None:
        names.append(node.name)
        if node.op_type in ("MatMul", "Gemm"):
            break
        node = producer.get(node.input[0])
    return tuple(names)


def pool_before_relu(graph) -> int:
    """Rewrite each Relu -> MaxPool pair as MaxPool -> Relu (exactly equal); returns the count.

    The Relu then ends the fp32 stem, so onnxruntime cannot move the stem's QuantizeLinear above
    the MaxPool (a uint8 MaxPool in NCHW is ~10x slower than the fp32 NCHWc one).
    """
    nodes = list(graph.node)
    producer = {out: node for node in nodes for out in node.output}
    consumers: dict[str, int] = {}
    for node in nodes:
        for name in node.input:
            consumers[name] = consumers.get(name, 0) + 1
    swapped = 0
    for pool in [n for n in nodes if n.op_type == "MaxPool" and len(n.output) == 1]:
        relu = producer.get(pool.input[0])
        if relu is None or relu.op_type != "Relu" or consumers.get(relu.output[0]) != 1:
            continue
        source, middle, out = relu.input[0], relu.output[0], pool.output[0]
        pool.input[0], pool.output[0] = source, middle
        relu.input[0], relu.output[0] = middle, out
        nodes.remove(relu)
        nodes.insert(nodes.index(pool) + 1, relu)
        swapped += 1
    graph.ClearField("value_info")  # stale shapes; quant_pre_process infers them again
    graph.ClearField("node")
    graph.node.extend(nodes)
    return swapped


def stem_nodes(graph) -> tuple[str, ...]:
    """The first Conv and the MaxPool right after it: the part left in fp32 by ``fp32_stem``."""
    convs = [n for n in graph.node if n.op_type == "Conv"]
    if not convs:
        return ()
    pools = [n for n in graph.node if n.op_type == "MaxPool" and n.input[0] == convs[0].output[0]]
    return tuple(n.name for n in [convs[0], *pools])


def prepare(fp32_path: Path, out_path: Path, cfg: QuantConfig) -> tuple[str, ...]:
    """Write the graph to quantize (Relu/MaxPool swapped, shapes inferred, fused) to ``out_path``;
    return the nodes that stay fp32: every Softmax (``probs`` keeps full precision), and the
    stem and head when ``cfg`` asks for them."""
    import onnx
    from onnxruntime.quantization.shape_inference import quant_pre_process

    model = onnx.load(str(fp32_path))
    if cfg.fp32_stem:
        pool_before_relu(model.graph)
    swapped = Path(out_path).with_suffix(".swapped.onnx")
    onnx.save(model, str(swapped))
    quant_pre_process(str(swapped), str(out_path))
    graph = onnx.load(str(out_path)).graph
    keep = {n.name for n in graph.node if n.op_type == "Softmax"}
    keep.update(stem_nodes(graph) if cfg.fp32_stem else ())
    keep.update(head_nodes(graph) if cfg.fp32_head else ())
    return tuple(sorted(keep))


def quantize_int8(fp32_path: Path, out_path: Path, calib_x: np.ndarray, cfg: QuantConfig) -> Path:
    """Static QDQ int8 (per-channel weights) of ``fp32_path`` calibrated on float32 ``calib_x``."""
    from onnxruntime.quantization import CalibrationMethod, QuantFormat, QuantType, quantize_static

    methods = {
        "minmax": CalibrationMethod.MinMax,
        "percentile": CalibrationMethod.Percentile,
        "entropy": CalibrationMethod.Entropy,
    }
    if cfg.method not in methods:
        raise ExportError(f"unknown calibration method {cfg.method!r} (use {', '.join(METHODS)})")
    if cfg.quant_format == "qoperator" and cfg.fp32_stem:
        raise ExportError("qoperator drops the Relu that ends the fp32 stem; add --no-fp32-stem")
    act = {"uint8": QuantType.QUInt8, "int8": QuantType.QInt8}[cfg.activations]
    fmt = {"qdq": QuantFormat.QDQ, "qoperator": QuantFormat.QOperator}[cfg.quant_format]
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        pre = Path(tmp) / "pre.onnx"
        keep_fp32 = prepare(fp32_path, pre, cfg)
        quantize_static(
            str(pre),
            str(out_path),
            _Reader(calib_x),
            quant_format=fmt,
            per_channel=cfg.per_channel,
            reduce_range=cfg.reduce_range,
            activation_type=act,
            weight_type=QuantType.QInt8,
            nodes_to_exclude=list(keep_fp32),
            calibrate_method=methods[cfg.method],
            extra_options={"CalibTensorRangeSymmetric": False, "CalibMovingAverage": False},
        )
    return out_path


def accuracy(path: Path, x: np.ndarray, y: np.ndarray) -> float:
    """Top-1 accuracy of an ONNX model on float32 input ``x`` and integer labels ``y``."""
    return float(np.mean(onnx_predict(path, x).argmax(1) == y))


def accuracy_gate(fp32_acc: float, int8_acc: float, dataset: str) -> float:
    """Loss in percentage points; raise ExportError when it exceeds the dataset's limit."""
    drop_pp = (fp32_acc - int8_acc) * 100
    limit = MAX_DROP_PP[dataset]
    if drop_pp > limit + 1e-9:
        raise ExportError(
            f"accuracy gate failed: int8 {int8_acc:.4f} vs fp32 {fp32_acc:.4f} "
            f"(-{drop_pp:.2f} pp, limit {limit} pp on {dataset})"
        )
    return drop_pp


def latency_us(
    paths: list[Path],
    x: np.ndarray,
    batch: int = 32,
    threads: int = 1,
    blocks: int = 7,
    level: str = "all",
) -> list[float]:
    """Microseconds per character of each model for ``batch``-sized runs on ``threads`` threads.

    The models take turns in blocks of 30 runs so that they share the same background load;
    each model's figure is its best block median (robust to load bursts on a shared CPU).
    """
    sessions = [session(p, threads, level) for p in paths]
    feed = {INPUT_NAME: np.ascontiguousarray(x[:batch])}
    best = [float("inf")] * len(sessions)
    for sess in sessions:
        for _ in range(20):
            sess.run([OUTPUT_NAME], feed)
    for _ in range(blocks):
        for i, sess in enumerate(sessions):
            times = []
            for _ in range(30):
                start = time.perf_counter()
                sess.run([OUTPUT_NAME], feed)
                times.append(time.perf_counter() - start)
            best[i] = min(best[i], float(np.median(times)))
    return [t * 1e6 / len(feed[INPUT_NAME]) for t in best]


def fallback_configs(first: QuantConfig) -> list[QuantConfig]:
    """Attempts in order: ``first``, then with 4x calibration data, other methods, an fp32
    head; every attempt keeps ``first``'s other options."""
    more = replace(first, calib_n=first.calib_n * 4)
    attempts = [first, more]
    attempts += [replace(more, method=m) for m in METHODS if m != first.method]
    attempts.append(replace(more, fp32_head=True))
    return attempts


def quantize_gated(
    fp32_path: Path,
    out_path: Path,
    dataset: str,
    x_train: np.ndarray,
    x_eval: np.ndarray,
    y_eval: np.ndarray,
    configs: list[QuantConfig],
    log=print,
) -> dict:
    """Quantize with each config in turn until one passes the accuracy gate; report the winner.

    ``x_train``/``x_eval`` are uint8 images; the report holds both accuracies and latencies.
    """
    x = to_input(x_eval)
    fp32_acc = accuracy(fp32_path, x, y_eval)
    log(f"  fp32 ONNX accuracy {fp32_acc:.5f} on {len(y_eval)} held-out images")
    failures = []
    for cfg in configs:
        calib = to_input(calibration_images(x_train, cfg.calib_n))
        quantize_int8(fp32_path, out_path, calib, cfg)
        int8_acc = accuracy(out_path, x, y_eval)
        try:
            drop = accuracy_gate(fp32_acc, int8_acc, dataset)
        except ExportError as exc:
            log(f"  int8 ({cfg.describe()}): {exc}")
            failures.append(str(exc))
            continue
        change = 0.0 - drop
        log(f"  int8 ({cfg.describe()}): accuracy {int8_acc:.5f} ({change:+.2f} pp): gate passed")
        fp32_us, int8_us = latency_us([fp32_path, out_path], x)
        log(f"  latency batch 32, 1 thread: fp32 {fp32_us:.1f} us/char, int8 {int8_us:.1f} us/char")
        return {
            "config": asdict(cfg),
            "fp32_accuracy": fp32_acc,
            "int8_accuracy": int8_acc,
            "drop_pp": drop,
            "n": len(y_eval),
            "fp32_us_per_char": fp32_us,
            "int8_us_per_char": int8_us,
        }
    Path(out_path).unlink(missing_ok=True)
    raise ExportError(f"no quantization attempt passed the gate; last: {failures[-1]}")


def register(subparsers) -> None:
    """Add ``python -m export quantize``."""
    p = subparsers.add_parser(
        "quantize", help="ONNX fp32 -> static QDQ int8 with the accuracy gate"
    )
    p.add_argument("fp32", type=Path, help="fp32 .onnx file")
    p.add_argument("--out", type=Path, required=True, help="output int8 .onnx path")
    p.add_argument("--dataset", choices=sorted(MAX_DROP_PP), required=True)
    p.add_argument("--data-root", type=Path, default=Path("../shared/data"))
    p.add_argument("--calib-n", type=int, default=1000, help="calibration images (training set)")
    p.add_argument("--method", choices=METHODS, default="minmax", help="calibration method")
    p.add_argument("--no-fallback", action="store_true", help="try only the given configuration")
    p.add_argument("--activations", choices=("uint8", "int8"), default="uint8")
    p.add_argument("--format", choices=("qdq", "qoperator"), default="qdq", dest="quant_format")
    p.add_argument("--no-fp32-stem", action="store_true", help="quantize the first Conv too")
    p.add_argument("--fp32-head", action="store_true", help="keep the last MatMul/Gemm fp32")
    p.add_argument("--reduce-range", action="store_true", help="7-bit weights")
    p.add_argument("--per-tensor", action="store_true", help="one weight scale per tensor")
    p.set_defaults(func=_cli)


def _cli(args) -> int:
    """Run the quantize subcommand; failures become one ``error:`` line."""
    from export.data import load_dataset

    try:
        if not args.fp32.is_file():
            raise ExportError(f"{args.fp32}: file not found")
        data_dir = dataset_dir(args.data_root, args.dataset)
        x_train, _, _ = load_dataset(args.dataset, data_dir, "train")
        x_eval, y_eval, _ = load_dataset(args.dataset, data_dir, "test")
        first = QuantConfig(
            args.method,
            args.calib_n,
            fp32_stem=not args.no_fp32_stem,
            fp32_head=args.fp32_head,
            per_channel=not args.per_tensor,
            reduce_range=args.reduce_range,
            activations=args.activations,
            quant_format=args.quant_format,
        )
        configs = [first] if args.no_fallback else fallback_configs(first)
        report = quantize_gated(args.fp32, args.out, args.dataset, x_train, x_eval, y_eval, configs)
    except (ExportError, OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"wrote {args.out}: {json.dumps(report)}")
    return 0
