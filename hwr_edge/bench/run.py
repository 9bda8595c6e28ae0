"""The tasks of a bench run, phase by phase; each task appends its rows to ``result``."""

from __future__ import annotations

from pathlib import Path

from hwr_edge.bench.plan import Settings, Task
from hwr_edge.errors import HwrError


def inference_tasks(s: Settings, result: dict, crops) -> list[Task]:
    """Every model x thread count x batch size, one session per (model, threads)."""
    from hwr_edge.bench.infer import inference_row
    from hwr_edge.classifier import load_model

    sessions: dict[tuple[str, int], object] = {}

    def session(model, threads: int):
        """A manifest name (sha256-checked) or, for an unshipped model, its path."""
        if (model, threads) not in sessions:
            sessions.clear()
            sessions[(model, threads)] = load_model(model, threads=threads)
        return sessions[(model, threads)]

    def task(entry: dict, threads: int, batch: int) -> Task:
        def run() -> None:
            clf = session(entry["name"] if entry.get("shipped", True) else entry["path"], threads)
            row = inference_row(
                entry, clf, threads, batch, crops, s.iterations, s.warmup, s.budget_s
            )
            result["inference"].append(row)

        return Task(f"infer {entry['name']} t{threads} b{batch}", run)

    return [task(e, t, b) for e in s.models for t in s.threads for b in s.batches]


def pipeline_tasks(s: Settings, result: dict, frame) -> list[Task]:
    """The default model's pipeline on each photo and on the stream frame, per thread count."""
    from hwr_edge.bench.pipeline import pipeline_row

    inputs = [(p.name, str(p)) for p in s.photos] + [("frame 640x480", frame)]

    def task(threads: int, label: str, image) -> Task:
        def run() -> None:
            from hwr_edge.classifier import load_model
            from hwr_edge.recognizer import Recognizer

            try:  # the model is loaded here, outside the timed calls
                rec = Recognizer(model=load_model(s.default_model, threads=threads))
                row = pipeline_row(rec, label, image, threads, s.iterations, s.warmup, s.budget_s)
            except HwrError as exc:
                row = {"input": label, "threads": threads, "error": str(exc)}
            result["pipeline"].append(row)

        return Task(f"pipeline {label} t{threads}", run)

    return [task(t, label, image) for t in s.pipeline_threads for label, image in inputs]


def process_tasks(s: Settings, result: dict, image: Path) -> list[Task]:
    """Cold start and peak RSS of whole processes, each started ``cold_runs`` times."""
    from hwr_edge.bench.process import cold_start, process_commands

    def task(spec: dict) -> Task:
        def run() -> None:
            if spec["cmd"] is None:
                row = {"key": spec["key"], "label": spec["label"], "skipped": spec["skipped"]}
            else:
                row = cold_start(spec["key"], spec["label"], spec["cmd"], s.cold_runs)
            result["cold_start"].append(row)

        return Task(f"process {spec['label']}", run)

    return [task(spec) for spec in process_commands(image)]


def keras_tasks(s: Settings, result: dict, crops_file: Path) -> list[Task]:
    """For each model family, Keras (predict and model(x)) against ONNX fp32 and int8."""
    from hwr_edge.bench.keras_compare import tensorflow_missing

    why = tensorflow_missing() if s.keras else "disabled with --no-keras"
    threads = max(s.threads)
    result["keras"] = {"status": "skipped" if why else "ok", "reason": why or "", "models": []}
    result["keras"]["threads"] = threads
    if why:
        return []
    families: dict[str, list[dict]] = {}
    for entry in s.models:
        families.setdefault(f"{entry['arch']}-{entry['dataset']}", []).append(entry)

    def task(family: str, entries: list[dict]) -> Task:
        def run() -> None:
            keras = result["keras"]
            keras["models"].append(keras_family(s, family, entries, crops_file, threads))
            measured = [m for m in keras["models"] if "rows" in m]
            keras["status"] = "ok" if measured else "skipped"
            keras["reason"] = "" if measured else "; ".join(m["error"] for m in keras["models"])

        return Task(f"keras {family}", run)

    return [task(f, e) for f, e in families.items()]


def keras_family(
    s: Settings, family: str, entries: list[dict], crops_file: Path, threads: int
) -> dict:
    """Time one family's Keras source and its ONNX files in child processes."""
    from hwr_edge.bench.keras_compare import find_source, run_worker, source_sha256

    first = entries[0]
    source = find_source(s.runs_dirs, first["arch"], first["dataset"], source_sha256(first["path"]))
    out = {"model": family, "source": source, "threads": threads}
    if source["path"] is None:
        out["error"] = f"skipped: {source['note']}"
        return out
    common = {
        "crops": str(crops_file),
        "batches": list(s.keras_batches),
        "threads": threads,
        "iterations": s.iterations,
        "warmup": s.warmup,
        "budget_s": s.budget_s,
    }
    specs = [{**common, "backend": "keras", "path": source["path"]}]
    specs += [
        {**common, "backend": "onnx", "path": str(e["path"]), "precision": e["precision"]}
        for e in entries
    ]
    rows = []
    for spec in specs:
        got = run_worker(spec)
        if "error" in got:
            out["error"] = f"{spec['backend']} worker failed: {got['error']}"
            return out
        rows += [{**r, "peak_rss_mb": got["peak_rss_mb"]} for r in got["rows"]]
    int8 = {r["batch"]: r["char_us"]["median"] for r in rows if r["method"] == "onnx int8"}
    for r in rows:
        if r["method"].startswith("keras") and r["batch"] in int8:
            r["note"] = f"{r['char_us']['median'] / int8[r['batch']]:.1f}x onnx int8 time"
    if source["note"]:
        rows[0]["note"] = (rows[0].get("note", "") + "; source " + source["note"]).lstrip("; ")
    out["rows"] = rows
    return out
