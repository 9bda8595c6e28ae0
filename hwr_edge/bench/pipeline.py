"""Pipeline stage latency: ``Recognizer.recognize`` on photos and a stream frame."""

from __future__ import annotations

from hwr_edge.bench.stats import measure, summarize


def pipeline_row(
    recognizer, label: str, image, threads: int, iterations: int, warmup: int, budget_s: float
) -> dict:
    """Per-stage timings (every key of ``Page.timings_ms``) of repeated recognize calls."""
    pages = []

    def call() -> None:
        pages.append(recognizer.recognize(image))

    wall = measure(call, iterations, warmup, budget_s)
    timed = pages[-len(wall) :]
    names = dict.fromkeys(k for p in timed for k in p.timings_ms)
    stages = {k: summarize([p.timings_ms[k] for p in timed if k in p.timings_ms]) for k in names}
    last = timed[-1]
    return {
        "input": label,
        "size": list(last.size),
        "threads": threads,
        "chars": len(last.chars),
        "text": last.text,
        "stages_ms": stages,
        "wall_ms": summarize(wall, 1e3),
    }
