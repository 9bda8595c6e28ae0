"""The issue's performance targets, each checked against a bench result."""

from __future__ import annotations

LENET_INT8_US = 40.0
KERAS_RATIO = 20.0
COLD_START_S = 0.5
PEAK_RSS_MB = 150.0


def _target(text: str, measured: str, met: bool | None) -> dict:
    return {"target": text, "measured": measured, "met": met}


def int8_vs_fp32(inference: list[dict]) -> dict:
    """int8 faster than fp32 for every model pair, batch >= 8, every thread count."""
    fp32 = {
        (r["arch"], r["dataset"], r["threads"], r["batch"]): r["char_us"]["median"]
        for r in inference
        if r["precision"] == "fp32"
    }
    ratios = []
    for r in inference:
        key = (r["arch"], r["dataset"], r["threads"], r["batch"])
        if r["precision"] == "int8" and r["batch"] >= 8 and key in fp32:
            ratios.append((r["char_us"]["median"] / fp32[key], r))
    text = "int8 faster than fp32 for every CNN at batch >= 8"
    if not ratios:
        return _target(text, "no fp32/int8 pair measured at batch >= 8", None)
    worst, row = max(ratios, key=lambda t: t[0])
    where = f"{row['arch']}-{row['dataset']}, batch {row['batch']}, {row['threads']} thr"
    measured = f"worst int8/fp32 time ratio {worst:.2f} ({where}) over {len(ratios)} pairs"
    return _target(text, measured, worst < 1.0)


def lenet_int8(inference: list[dict]) -> dict:
    """LeNet-5 int8 at batch 32 on one thread, per character."""
    text = f"LeNet-5 int8 <= {LENET_INT8_US:.0f} us/char at batch 32, 1 thread"
    rows = [
        r
        for r in inference
        if r["arch"] == "lenet5" and r["precision"] == "int8"
        if r["batch"] == 32 and r["threads"] == 1
    ]
    if not rows:
        return _target(text, "not measured (no lenet5 int8 model at batch 32, 1 thread)", None)
    measured = ", ".join(f"{r['model']} {r['char_us']['median']:.1f} us" for r in rows)
    return _target(text, measured, all(r["char_us"]["median"] <= LENET_INT8_US for r in rows))


def keras_speedup(keras: dict) -> dict:
    """Keras ``predict`` time per char over ONNX int8 time per char, same batch, same run."""
    text = f">= {KERAS_RATIO:.0f}x less time per char than Keras predict (same batch)"
    if keras["status"] != "ok":
        return _target(text, f"skipped: {keras['reason']}", None)
    ratios = []
    for m in keras["models"]:
        rows = m.get("rows", [])
        int8 = {r["batch"]: r["char_us"]["median"] for r in rows if r["method"] == "onnx int8"}
        for r in rows:
            if r["method"] == "keras predict" and r["batch"] in int8:
                ratios.append((r["char_us"]["median"] / int8[r["batch"]], m["model"], r["batch"]))
    if not ratios:
        return _target(text, "no Keras/ONNX int8 pair measured", None)
    worst = min(ratios)
    measured = f"lowest ratio {worst[0]:.1f}x ({worst[1]}, batch {worst[2]})"
    return _target(text, measured, worst[0] >= KERAS_RATIO)


def _process(cold: list[dict], key: str) -> dict | None:
    rows = [r for r in cold if r["key"] == key and "wall_ms" in r and "error" not in r]
    return rows[0] if rows else None


def cold_start(cold: list[dict]) -> dict:
    """Median wall time of ``hwr-edge recognize`` (console script, else ``python -m``)."""
    text = f"cold start of hwr-edge recognize <= {COLD_START_S} s"
    row = _process(cold, "script") or _process(cold, "module")
    if row is None:
        return _target(text, "not measured", None)
    median_s = row["wall_ms"]["median"] / 1000
    cpu = f", CPU time {row['cpu_ms']['median'] / 1000:.3f} s" if "cpu_ms" in row else ""
    measured = f"{median_s:.3f} s median wall ({row['label']}{cpu})"
    return _target(text, measured, median_s <= COLD_START_S)


def peak_rss(cold: list[dict]) -> dict:
    """Highest peak RSS of any recognition process."""
    text = f"peak RSS of a recognition process <= {PEAK_RSS_MB:.0f} MB"
    rows = [r for k in ("script", "module") if (r := _process(cold, k))]
    if not rows:
        return _target(text, "not measured", None)
    worst = max(r["peak_rss_mb"]["max"] for r in rows)
    return _target(text, f"{worst:.1f} MB (max over runs)", worst <= PEAK_RSS_MB)


def check_targets(result: dict) -> list[dict]:
    """Every target with its measured figure and whether it is met (None: not measured)."""
    return [
        int8_vs_fp32(result["inference"]),
        lenet_int8(result["inference"]),
        keras_speedup(result["keras"]),
        cold_start(result["cold_start"]),
        peak_rss(result["cold_start"]),
    ]
