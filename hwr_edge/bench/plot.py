"""``hwr-edge bench --plot``: per-character latency by model and precision, as a PNG."""

from __future__ import annotations

import importlib.util
from pathlib import Path

MISSING = "--plot needs matplotlib, which is not installed (pip install 'hwr-edge[plot]')"


def plot_missing() -> str | None:
    """Why ``--plot`` cannot work here, or None when matplotlib is importable."""
    return MISSING if importlib.util.find_spec("matplotlib") is None else None


def write_plot(result: dict, out: Path) -> None:
    """One panel per thread count: median us/char against batch size, fp32 solid, int8 dashed."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import LogLocator, NullFormatter, ScalarFormatter

    rows = result["inference"]
    threads = sorted({r["threads"] for r in rows})
    fig, axes = plt.subplots(1, len(threads), figsize=(5 * len(threads), 4), squeeze=False)
    families = sorted({f"{r['arch']}-{r['dataset']}" for r in rows})
    colors = {f: f"C{i}" for i, f in enumerate(families)}
    for ax, thr in zip(axes[0], threads, strict=True):
        for name in sorted({r["model"] for r in rows if r["threads"] == thr}):
            points = sorted(
                (r["batch"], r["char_us"]["median"], r)
                for r in rows
                if r["model"] == name and r["threads"] == thr
            )
            first = points[0][2]
            ax.plot(
                [p[0] for p in points],
                [p[1] for p in points],
                marker="o",
                color=colors[f"{first['arch']}-{first['dataset']}"],
                linestyle="--" if first["precision"] == "int8" else "-",
                label=name,
            )
        batches = sorted({r["batch"] for r in rows})
        ax.set_xscale("log", base=2)
        ax.set_xticks(batches, [str(b) for b in batches])
        ax.set_yscale("log")
        ax.yaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 3.0, 5.0)))
        ax.yaxis.set_major_formatter(ScalarFormatter())
        ax.yaxis.set_minor_formatter(NullFormatter())
        ax.set_xlabel("batch size")
        ax.set_ylabel("median us per character")
        ax.set_title(f"{thr} thread{'s' if thr > 1 else ''}")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=7)
    fig.suptitle(f"hwr-edge bench: {result['machine']['cpu_model']}", fontsize=9)
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    plt.close(fig)
