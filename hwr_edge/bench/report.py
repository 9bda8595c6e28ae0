"""Bench results as tables, for the terminal or as Markdown."""

from __future__ import annotations


def _f(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def render(headers: list[str], rows: list[list[str]], markdown: bool = False) -> str:
    """A table with aligned columns; GitHub Markdown when ``markdown``."""
    if markdown:
        lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
        return "\n".join(lines + ["| " + " | ".join(r) + " |" for r in rows])
    widths = [max(len(str(c)) for c in col) for col in zip(headers, *rows, strict=True)]
    fmt = "  ".join(f"{{:<{w}}}" for w in widths)
    return "\n".join(fmt.format(*r).rstrip() for r in [headers, ["-" * w for w in widths], *rows])


def inference_table(result: dict, markdown: bool = False) -> str:
    headers = ["model", "threads", "batch", "batch ms", "us/char", "p95", "p99", "min", "n"]
    rows = [
        [
            r["model"] + ("" if r.get("shipped", True) else " (runs/, not shipped)"),
            str(r["threads"]),
            str(r["batch"]),
            _f(r["batch_ms"]["median"], 3),
            _f(r["char_us"]["median"]),
            _f(r["char_us"]["p95"]),
            _f(r["char_us"]["p99"]),
            _f(r["char_us"]["min"]),
            str(r["char_us"]["n"]),
        ]
        for r in result["inference"]
    ]
    return render(headers, rows, markdown)


def pipeline_table(result: dict, markdown: bool = False) -> str:
    names = [k for r in result["pipeline"] for k in r.get("stages_ms", {})]
    stages = [k for k in dict.fromkeys(names) if k != "total"] + ["total"]
    headers = ["input", "size", "threads", "chars", *stages, "total p95", "total p99", "per s"]
    rows = []
    for r in result["pipeline"]:
        if "error" in r:
            cells = [r["input"], "-", str(r["threads"]), "error: " + r["error"]]
            rows.append(cells + [""] * (len(headers) - len(cells)))
            continue
        med = [_f(r["stages_ms"].get(s, {}).get("median"), 2) for s in stages]
        total = r["stages_ms"].get("total", {})
        size = "x".join(str(v) for v in r["size"])
        rows.append(
            [r["input"], size, str(r["threads"]), str(r["chars"]), *med]
            + [_f(total.get("p95"), 2), _f(total.get("p99"), 2)]
            + [_f(1000 / total["median"] if total.get("median") else None)]
        )
    return render(headers, rows, markdown)


def process_table(result: dict, markdown: bool = False) -> str:
    headers = ["process", "runs", "wall ms", "p95", "p99", "CPU ms", "peak RSS MB", "status"]
    rows = []
    for r in result["cold_start"]:
        if "skipped" in r:
            rows.append([r["label"], "0", "-", "-", "-", "-", "-", "skipped: " + r["skipped"]])
            continue
        wall, cpu, rss = r.get("wall_ms", {}), r.get("cpu_ms", {}), r.get("peak_rss_mb", {})
        status = "error: " + r["error"] if "error" in r else "ok"
        cells = [_f(wall.get(k), 0) for k in ("median", "p95", "p99")]
        cells += [_f(cpu.get("median"), 0), _f(rss.get("max"))]
        rows.append([r["label"], str(r["runs"]), *cells, status])
    return render(headers, rows, markdown)


def keras_table(result: dict, markdown: bool = False) -> str:
    keras = result["keras"]
    if keras["status"] != "ok":
        return f"Keras side-by-side skipped: {keras['reason']}"
    headers = ["model", "backend", "batch", "us/char", "p95", "p99", "process RSS MB", "note"]
    rows = []
    for m in keras["models"]:
        if "error" in m:
            rows.append([m["model"], "-", "-", "-", "-", "-", "-", m["error"]])
            continue
        for r in m["rows"]:
            c = r["char_us"]
            rss = _f(r.get("peak_rss_mb"))
            cells = [_f(c["median"]), _f(c["p95"]), _f(c["p99"]), rss, r.get("note", "")]
            rows.append([m["model"], r["method"], str(r["batch"]), *cells])
    return render(headers, rows, markdown)


def targets_table(result: dict, markdown: bool = False) -> str:
    mark = {True: "met", False: "MISSED", None: "not measured"}
    rows = [[t["target"], t["measured"], mark[t["met"]]] for t in result["targets"]]
    return render(["target", "measured", "status"], rows, markdown)


def header(result: dict) -> str:
    """Where and when: CPU, cores, versions, date and the load average around the run."""
    m, load = result["machine"], result["load_average"]
    avg = " -> ".join(f"{v[0]:.2f}" for v in (load["start"], load.get("end")) if v)
    return (
        f"{m['cpu_model']}, {m['cores']} cores, {m['os']}; Python {m['python']}, "
        f"onnxruntime {m['onnxruntime']}, OpenCV {m['opencv']}; {result['date']}; "
        f"1-min load average {avg} (start -> end)"
    )


def full_report(result: dict, markdown: bool = False) -> str:
    """A header line and every table of a result, with section titles."""
    sections = [
        ("Model inference (median of n runs; us/char = batch time / batch)", inference_table),
        ("Pipeline stages, ms (median; per s = 1000 / median total)", pipeline_table),
        ("Cold start and peak memory (whole processes, cached bytecode)", process_table),
        ("Keras against ONNX, same crops, same run", keras_table),
        ("Targets", targets_table),
    ]
    title = "### {}" if markdown else "== {} =="
    body = [f"{title.format(name)}\n\n{fn(result, markdown)}" for name, fn in sections]
    return "\n\n".join([header(result), *body])
