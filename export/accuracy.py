"""End-to-end accuracy benchmark on synthetic handwriting photos.

``python -m export accuracy --pages 200 [--model NAME|PATH] [--glyphs hershey|emnist]``
generates pages cycling through every condition of ``export.synth`` (in memory, seeded),
recognizes them with ``hwr_edge.Recognizer`` and reports the character error rate (edit
distance / reference length, over the whole page text including spaces and newlines) and word
accuracy per condition and overall, as a table and as JSON (``--json``). It also times
in-process ``recognize`` on one thread for a 700x577 photo of about 30 characters.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

import numpy as np

from export import synth


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance between two strings."""
    row = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        diag, row[0] = row[0], i
        for j, cb in enumerate(b, 1):
            diag, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, diag + (ca != cb))
    return row[-1]


def word_hits(truth: str, pred: str) -> tuple[int, int]:
    """Correct words (same position in the same line) and number of reference words."""
    hits = total = 0
    pred_lines = pred.split("\n")
    for i, line in enumerate(truth.split("\n")):
        ref = line.split()
        got = pred_lines[i].split() if i < len(pred_lines) else []
        total += len(ref)
        hits += sum(r == g for r, g in zip(ref, got, strict=False))
    return hits, total


def page_alphabet(labels: list[str]) -> str:
    """Characters the random text may use: the model's digits and capitals."""
    return "".join(c for c in synth.DIGITS + synth.UPPER if c in labels)


def run_benchmark(recognizer, pages: int, seed: int, glyphs, conditions: list[str]) -> dict:
    """Recognize ``pages`` generated pages; CER and word accuracy per condition and overall."""
    rng = np.random.default_rng(seed)
    labels = recognizer.classifier.labels
    alphabet = page_alphabet(labels)
    stats = {
        c: {"pages": 0, "chars": 0, "errors": 0, "words": 0, "word_hits": 0} for c in conditions
    }
    for i in range(pages):
        cond = conditions[i % len(conditions)]
        if synth.CONDITIONS[cond].lower and not set(synth.LOWER47) <= set(labels):
            cond = "clean"
        page = synth.make_page(rng, cond, glyphs, alphabet=alphabet)
        text = recognizer.recognize(page.image).text
        hits, words = word_hits(page.text, text)
        s = stats[cond]
        s["pages"] += 1
        s["chars"] += len(page.text)
        s["errors"] += edit_distance(text, page.text)
        s["words"] += words
        s["word_hits"] += hits
    total = {k: sum(s[k] for s in stats.values()) for k in next(iter(stats.values()))}
    rows = {c: _rates(s) for c, s in stats.items() if s["pages"]}
    return {"conditions": rows, "overall": _rates(total)}


def _rates(s: dict) -> dict:
    return {
        **s,
        "cer": s["errors"] / max(s["chars"], 1),
        "word_accuracy": s["word_hits"] / max(s["words"], 1),
    }


def time_recognize(recognizer, seed: int, repeats: int = 50) -> dict:
    """Median / p90 in-process ``recognize`` time for one 700x577 page of ~30 characters."""
    rng = np.random.default_rng(seed)
    alphabet = page_alphabet(recognizer.classifier.labels)
    text = ["".join(rng.choice(list(alphabet), 5)) + " " + "".join(rng.choice(list(alphabet), 5))]
    text = text * 3
    page = synth.make_page(rng, "clean", "hershey", text=text)
    recognizer.recognize(page.image)
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        recognizer.recognize(page.image)
        times.append((time.perf_counter() - t) * 1000)
    times.sort()
    return {
        "image": f"{page.image.shape[1]}x{page.image.shape[0]}",
        "chars": sum(len(t.replace(" ", "")) for t in text),
        "repeats": repeats,
        "median_ms": statistics.median(times),
        "p90_ms": times[int(0.9 * (len(times) - 1))],
    }


def format_table(result: dict) -> str:
    """Markdown table: one row per condition and the overall row."""
    lines = ["| condition | pages | chars | CER | word accuracy |", "|---|---:|---:|---:|---:|"]
    rows = {**result["conditions"], "**overall**": result["overall"]}
    for name, r in rows.items():
        lines.append(
            f"| {name} | {r['pages']} | {r['chars']} | {100 * r['cer']:.2f}% "
            f"| {100 * r['word_accuracy']:.1f}% |"
        )
    return "\n".join(lines)


def _run(args: argparse.Namespace) -> int:
    from hwr_edge.errors import HwrError
    from hwr_edge.recognizer import Recognizer

    conditions = args.conditions or list(synth.CONDITIONS)
    unknown = [c for c in conditions if c not in synth.CONDITIONS]
    if unknown:
        print(f"error: unknown condition {unknown[0]!r}")
        return 2
    try:
        recognizer = Recognizer(args.model, threads=1, context=args.context)
        glyphs = synth.DatasetGlyphs() if args.glyphs == "emnist" else "hershey"
        result = run_benchmark(recognizer, args.pages, args.seed, glyphs, conditions)
        timing = time_recognize(recognizer, args.seed)
    except (HwrError, OSError, ValueError) as exc:
        print(f"error: {exc}")
        return 1
    result |= {
        "model": recognizer.classifier.info.get("name"),
        "glyphs": args.glyphs,
        "pages": args.pages,
        "seed": args.seed,
        "context": args.context,
        "timing_1_thread": timing,
    }
    print(f"model {result['model']}, glyphs {args.glyphs}, {args.pages} pages, seed {args.seed}")
    print(format_table(result))
    print(
        f"recognize {timing['image']} with {timing['chars']} chars, 1 thread: "
        f"median {timing['median_ms']:.1f} ms, p90 {timing['p90_ms']:.1f} ms"
    )
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2) + "\n")
    return 0


def register(subparsers) -> None:
    """Add ``accuracy`` to ``python -m export``."""
    p = subparsers.add_parser("accuracy", help="end-to-end CER benchmark on synthetic photos")
    p.add_argument("--pages", type=int, default=200)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--model", default=None, help="manifest name or .onnx path")
    p.add_argument("--glyphs", choices=["hershey", "emnist"], default="hershey")
    p.add_argument("--conditions", nargs="+", default=None, metavar="NAME")
    p.add_argument("--no-context", dest="context", action="store_false")
    p.add_argument("--json", default=None, help="also write the results as JSON here")
    p.set_defaults(func=_run)
