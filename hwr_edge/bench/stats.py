"""Timing loops and summary statistics for ``hwr-edge bench``."""

from __future__ import annotations

import math
import time
from collections.abc import Callable

MIN_ITERATIONS = 3  # a time budget never cuts a measurement below this


def measure(
    fn: Callable[[], object], iterations: int, warmup: int, budget_s: float | None = None
) -> list[float]:
    """Call ``fn`` ``warmup`` times untimed, then up to ``iterations`` times; seconds per call.

    With ``budget_s``, timing stops early once the timed calls have used that many seconds
    (after at least ``MIN_ITERATIONS``), so that slow configurations do not stall a run.
    """
    for _ in range(warmup):
        fn()
    times: list[float] = []
    spent = 0.0
    for _ in range(max(1, iterations)):
        t0 = time.perf_counter()
        fn()
        dt = time.perf_counter() - t0
        times.append(dt)
        spent += dt
        if budget_s is not None and spent >= budget_s and len(times) >= MIN_ITERATIONS:
            break
    return times


def percentile(values: list[float], q: float) -> float:
    """The ``q``-th percentile (0-100) of ``values``, linear interpolation as numpy's default."""
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q / 100.0
    lo, hi = math.floor(pos), math.ceil(pos)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def summarize(values: list[float], scale: float = 1.0) -> dict[str, float]:
    """Median, p95, p99, mean, min and max of ``values`` multiplied by ``scale``."""
    scaled = [v * scale for v in values]
    return {
        "median": percentile(scaled, 50),
        "p95": percentile(scaled, 95),
        "p99": percentile(scaled, 99),
        "mean": sum(scaled) / len(scaled),
        "min": min(scaled),
        "max": max(scaled),
        "n": len(scaled),
    }
