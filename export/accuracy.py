"""End-to-end accuracy benchmark on synthetic handwriting photos.

``python -m export accuracy --pages 200 [--model NAME|PATH] [--glyphs emnist hershey]``
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
    return run_settings({"": recognizer}, pages, seed, glyphs, conditions)[""]


def run_settings(
    recognizers: dict, pages: int, seed: int, glyphs, conditions: list[str]
) -> dict[str, dict]:
    """Like ``run_benchmark`` for several named recognizers on the very same pages."""
    rng = np.random.default_rng(seed)
    labels = next(iter(recognizers.values())).classifier.labels
    alphabet = page_alphabet(labels)
    keys = ("pages", "chars", "errors", "words", "word_hits")
    stats = {name: {c: dict.fromkeys(keys, 0) for c in conditions} for name in recognizers}
    for i in range(pages):
        cond = conditions[i % len(conditions)]
        if synth.CONDITIONS[cond].lower and not set(synth.LOWER47) <= set(labels):
            cond = "clean"
        page = synth.make_page(rng, cond, glyphs, alphabet=alphabet)
        for name, recognizer in recognizers.items():
            text = recognizer.recognize(page.image).text
            hits, words = word_hits(page.text, text)
            s = stats[name][cond]
            s["pages"] += 1
            s["chars"] += len(page.text)
            s["errors"] += edit_distance(text, page.text)
            s["words"] += words
            s["word_hits"] += hits
    results = {}
    for name, per_cond in stats.items():
        total = {k: sum(s[k] for s in per_cond.values()) for k in keys}
        rows = {c: _rates(s) for c, s in per_cond.items() if s["pages"]}
        results[name] = {"conditions": rows, "overall": _rates(total)}
    return results


def pooled(results: dict[str, dict]) -> dict:
    """The overall rates of several glyph sources' results (``run_benchmark``'s, by source
    name) taken together: their pages, characters, errors, words and hits summed."""
    keys = ("pages", "chars", "errors", "words", "word_hits")
    return _rates({k: sum(r["overall"][k] for r in results.values()) for k in keys})


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
    page = synth.make_page(rng, "clean", "type", text=text)
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


def format_table(results: dict[str, dict]) -> str:
    """Markdown table: one row per condition and the overall row, CER and word accuracy
    per glyph source (``results`` maps a source name to ``run_benchmark``'s result)."""
    names = list(results)
    head = "| condition | pages | " + " | ".join(f"CER {n} | words {n}" for n in names) + " |"
    lines = [head, "|---|---:|" + "---:|---:|" * len(names)]
    first = results[names[0]]
    for cond in [*first["conditions"], None]:
        label = "**overall**" if cond is None else cond
        rows = [r["overall"] if cond is None else r["conditions"][cond] for r in results.values()]
        cells = " | ".join(f"{100 * r['cer']:.2f}% | {100 * r['word_accuracy']:.1f}%" for r in rows)
        lines.append(f"| {label} | {rows[0]['pages']} | {cells} |")
    return "\n".join(lines)


def sweep_table(results: dict[str, dict], conditions: tuple = ("clean", "touching")) -> str:
    """Markdown table of overall CER (and a few conditions') per recognizer setting."""
    shown = [c for c in conditions if c in next(iter(results.values()))["conditions"]]
    head = "| setting | CER | word accuracy | " + " | ".join(f"CER {c}" for c in shown) + " |"
    lines = [head, "|---|---:|---:|" + "---:|" * len(shown)]
    for name, r in results.items():
        o = r["overall"]
        cells = "".join(f" {100 * r['conditions'][c]['cer']:.2f}% |" for c in shown)
        lines.append(f"| {name} | {100 * o['cer']:.2f}% | {100 * o['word_accuracy']:.1f}% |{cells}")
    return "\n".join(lines)


def _glyph_source(name: str):
    return synth.DatasetGlyphs() if name == "emnist" else name


def _run(args: argparse.Namespace) -> int:
    from hwr_edge.errors import HwrError
    from hwr_edge.recognizer import Recognizer

    conditions = args.conditions or list(synth.CONDITIONS)
    unknown = [c for c in conditions if c not in synth.CONDITIONS]
    if unknown:
        print(f"error: unknown condition {unknown[0]!r}")
        return 2
    options = {
        "threads": 1,
        "reject_threshold": args.reject_threshold,
        "context": args.context,
        "lexicon": args.lexicon,
        "digit_opinion": args.digit_opinion,
    }
    try:
        recognizer = Recognizer(args.model, **options)
        if args.sweep:
            return _sweep(args, recognizer, conditions)
        results = {
            g: run_benchmark(recognizer, args.pages, args.seed, _glyph_source(g), conditions)
            for g in args.glyphs
        }
        timing = time_recognize(recognizer, args.seed)
    except (HwrError, OSError, ValueError) as exc:
        print(f"error: {exc}")
        return 1
    summary = {
        "model": recognizer.classifier.info.get("name"),
        "pages": args.pages,
        "seed": args.seed,
        "reject_threshold": recognizer.reject_threshold,
        "context": recognizer.context,
        "lexicon": recognizer.lexicon,
        "digit_opinion": recognizer.digit_opinion,
        "timing_1_thread": timing,
    }
    print(
        f"model {summary['model']}, {args.pages} pages per glyph source, seed {args.seed}, "
        f"reject threshold {recognizer.reject_threshold}, context {recognizer.context}, "
        f"lexicon {recognizer.lexicon}, digit opinion {recognizer.digit_opinion}"
    )
    print(format_table(results))
    every = pooled(results)
    if len(results) > 1:
        print(
            f"all {len(results)} glyph sources: CER {100 * every['cer']:.2f}% ({every['errors']} "
            f"errors in {every['chars']} characters), word accuracy "
            f"{100 * every['word_accuracy']:.1f}%"
        )
    print(
        f"recognize {timing['image']} with {timing['chars']} chars, 1 thread: "
        f"median {timing['median_ms']:.1f} ms, p90 {timing['p90_ms']:.1f} ms"
    )
    if args.json:
        record = {**summary, "glyphs": results, "all_glyphs": every}
        Path(args.json).write_text(json.dumps(record, indent=2) + "\n")
    return 0


def _sweep(args: argparse.Namespace, recognizer, conditions: list[str]) -> int:
    """CER of every (reject threshold, context) pair on the same pages of each glyph source."""
    from hwr_edge.recognizer import Recognizer

    clf = recognizer.classifier
    settings = {
        f"reject {t:g}, context {'on' if c else 'off'}": Recognizer(
            clf, reject_threshold=t, context=c
        )
        for t in args.sweep
        for c in (False, True)
    }
    out = {}
    for g in args.glyphs:
        out[g] = run_settings(settings, args.pages, args.seed, _glyph_source(g), conditions)
        print(f"model {clf.info.get('name')}, glyphs {g}, {args.pages} pages, seed {args.seed}")
        print(sweep_table(out[g]))
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=2) + "\n")
    return 0


def register(subparsers) -> None:
    """Add ``accuracy`` to ``python -m export``."""
    from hwr_edge.defaults import CONTEXT, DIGIT_OPINION, LEXICON, REJECT_THRESHOLD

    p = subparsers.add_parser("accuracy", help="end-to-end CER benchmark on synthetic photos")
    p.add_argument("--pages", type=int, default=200, help="pages per glyph source")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--model", default=None, help="manifest name or .onnx path")
    p.add_argument(
        "--glyphs",
        nargs="+",
        choices=["emnist", "strokes", "hershey", "type"],
        default=["emnist", "strokes", "hershey", "type"],
        help="glyph sources: held-out EMNIST/MNIST handwriting, block-letter strokes, "
        "Hershey's Roman simplex stroke font, printed type (OpenCV 5's TrueType faces)",
    )
    p.add_argument(
        "--conditions",
        nargs="+",
        default=None,
        metavar="NAME",
        choices=list(synth.CONDITIONS),
        help=f"default: all {len(synth.CONDITIONS)}, in this order: {' '.join(synth.CONDITIONS)}",
    )
    p.add_argument("--reject-threshold", type=float, default=REJECT_THRESHOLD)
    p.add_argument("--context", action=argparse.BooleanOptionalAction, default=CONTEXT)
    p.add_argument(
        "--lexicon", default=LEXICON, help="the runtime's --lexicon: english, a word file, or none"
    )
    p.add_argument(
        "--digit-opinion",
        action=argparse.BooleanOptionalAction,
        default=DIGIT_OPINION,
        help="the runtime's --digit-opinion: the digits model's say on digits",
    )
    p.add_argument(
        "--sweep",
        nargs="+",
        type=float,
        default=None,
        metavar="THRESHOLD",
        help="compare these reject thresholds, each with the context rule off and on",
    )
    p.add_argument("--json", default=None, help="also write the results as JSON here")
    p.set_defaults(func=_run)
