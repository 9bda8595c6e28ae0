"""Keras against ONNX, same crops, same run: finds each model's ``.keras`` source and times both."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

WORKER_TIMEOUT_S = 600


def tensorflow_missing() -> str | None:
    """Why the Keras comparison cannot run here, or None when TensorFlow is importable."""
    if importlib.util.find_spec("tensorflow") is None:
        return "TensorFlow is not installed (pip install -e '.[build]' adds it)"
    return None


def find_source(runs_dirs: list[Path], arch: str, dataset: str, sha256: str) -> dict:
    """The ``.keras`` file an ONNX model was converted from: ``{"path", "sha256_match", "note"}``.

    Prefers a file whose SHA-256 equals the ONNX metadata's ``hwr_edge.source_sha256``; else
    takes ``runs/<arch>-<dataset>/model.keras`` and says that its hash differs.
    """
    from hwr_edge.registry import file_sha256

    conventional = [d / f"{arch}-{dataset}" / "model.keras" for d in runs_dirs]
    candidates = [p for p in conventional if p.is_file()]
    candidates += [p for d in runs_dirs if d.is_dir() for p in sorted(d.rglob("*.keras"))]
    for path in dict.fromkeys(candidates):
        if sha256 and file_sha256(path) == sha256:
            return {"path": str(path), "sha256_match": True, "note": ""}
    existing = [p for p in conventional if p.is_file()]
    if existing:
        note = "its sha256 differs from the ONNX metadata's hwr_edge.source_sha256"
        return {"path": str(existing[0]), "sha256_match": False, "note": note}
    looked = ", ".join(str(p) for p in conventional)
    return {"path": None, "sha256_match": False, "note": f"no .keras source found ({looked})"}


def source_sha256(onnx_path: Path) -> str:
    """The ``hwr_edge.source_sha256`` metadata of an ONNX model ("" when absent)."""
    import onnxruntime as ort

    session = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    return session.get_modelmeta().custom_metadata_map.get("hwr_edge.source_sha256", "")


def run_worker(spec: dict) -> dict:
    """Run ``hwr_edge.bench.worker`` in a child process; its rows and peak RSS, or an error."""
    cmd = [sys.executable, "-m", "hwr_edge.bench.worker", json.dumps(spec)]
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=WORKER_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {WORKER_TIMEOUT_S} s"}
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        tail = done.stderr.strip().splitlines()[-1:] or [f"exit code {done.returncode}"]
        return {"error": tail[0]}
    return json.loads(lines[-1])
