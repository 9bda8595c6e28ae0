"""Model inference latency: per batch and per character, for each model, batch and thread count."""

from __future__ import annotations

from hwr_edge.bench.stats import measure, summarize

BATCHES = (1, 8, 32, 128)


def thread_counts(cores: int) -> list[int]:
    """1 thread, 2 threads and all cores, without duplicates."""
    return sorted({1, min(2, cores), cores})


def sibling(name: str, precision: str, names: list[str]) -> str | None:
    """The same model in another precision (``lenet5-mnist-int8`` -> ``lenet5-mnist-fp32``)."""
    base, _, _ = name.rpartition("-")
    other = f"{base}-{precision}"
    return other if other in names else None


def inference_row(
    entry: dict,
    classifier,
    threads: int,
    batch: int,
    crops,
    iterations: int,
    warmup: int,
    budget_s: float,
) -> dict:
    """Time ``classifier.predict_proba`` on ``batch`` crops; the row for one configuration."""
    x = crops[:batch]
    times = measure(lambda: classifier.predict_proba(x), iterations, warmup, budget_s)
    return {
        "model": entry["name"],
        "shipped": entry.get("shipped", True),
        "arch": entry.get("arch", ""),
        "dataset": entry.get("dataset", ""),
        "precision": entry.get("precision", ""),
        "threads": threads,
        "batch": batch,
        "batch_ms": summarize(times, 1e3),
        "char_us": summarize(times, 1e6 / batch),
    }
