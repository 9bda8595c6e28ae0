"""Child process of the Keras side-by-side: times one model in one backend, reports its memory.

Run as ``python -m hwr_edge.bench.worker SPEC_JSON``; prints one JSON object on stdout.
Each backend runs in its own process so that its peak RSS is its own and TensorFlow never
loads into the bench process. This is the only module of hwr_edge that may load TensorFlow,
and only through importlib, only when the bench asks for the Keras comparison.
"""

from __future__ import annotations

import importlib
import json
import os
import resource
import sys
from pathlib import Path

from hwr_edge.bench.stats import measure, summarize


def _row(method: str, batch: int, times: list[float]) -> dict:
    return {"method": method, "batch": batch, "char_us": summarize(times, 1e6 / batch)}


def keras_rows(spec: dict, crops) -> list[dict]:
    """``model.predict`` and a direct ``model(x)`` call, per batch, on the Keras source model."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    tf = importlib.import_module("tensorflow")
    tf.config.threading.set_intra_op_parallelism_threads(spec["threads"])
    keras = importlib.import_module("keras")
    model = keras.models.load_model(spec["path"], compile=False)
    rows = []
    for batch in spec["batches"]:
        x = crops[:batch].astype("float32")[..., None] / 255.0
        predict = measure(
            lambda x=x, b=batch: model.predict(x, batch_size=b, verbose=0),
            spec["iterations"],
            spec["warmup"],
            spec["budget_s"],
        )
        call = measure(
            lambda x=x: model(x, training=False).numpy(),
            spec["iterations"],
            spec["warmup"],
            spec["budget_s"],
        )
        rows += [_row("keras predict", batch, predict), _row("keras model(x)", batch, call)]
    return rows


def onnx_rows(spec: dict, crops) -> list[dict]:
    """``predict_proba`` of the hwr_edge classifier on the same crops and batches."""
    from hwr_edge.classifier import load_model

    model = load_model(spec["path"], threads=spec["threads"])
    rows = []
    for batch in spec["batches"]:
        x = crops[:batch]
        times = measure(
            lambda x=x: model.predict_proba(x),
            spec["iterations"],
            spec["warmup"],
            spec["budget_s"],
        )
        rows.append(_row(f"onnx {spec['precision']}", batch, times))
    return rows


def peak_rss_mb() -> float:
    """This process's own peak RSS: VmHWM on Linux (ru_maxrss there would include the
    parent's RSS at spawn), else ru_maxrss."""
    status = Path("/proc/self/status")
    if status.is_file():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024 / 1e6
    unit = 1 if sys.platform == "darwin" else 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * unit / 1e6


def main(argv: list[str]) -> None:
    import numpy as np

    spec = json.loads(argv[1])
    crops = np.load(spec["crops"])
    rows = keras_rows(spec, crops) if spec["backend"] == "keras" else onnx_rows(spec, crops)
    print(json.dumps({"rows": rows, "peak_rss_mb": peak_rss_mb()}))


if __name__ == "__main__":
    main(sys.argv)
