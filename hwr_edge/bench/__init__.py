"""``hwr-edge bench``: latency and memory of models, pipeline and whole processes on this CPU."""

from __future__ import annotations

import datetime
import json
import os
import sys
import tempfile
from pathlib import Path

import typer

from hwr_edge.bench.plan import Settings
from hwr_edge.errors import HwrError

REPO = Path(__file__).resolve().parents[2]


def _fail(message: str) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(2)


def _check_out(path: Path | None, option: str) -> None:
    """Refuse an output path whose folder does not exist, before any time is spent."""
    if path is not None and not path.parent.resolve().is_dir():
        _fail(f"{option} {path}: folder {path.parent} does not exist")


def _default_runs_dirs() -> list[Path]:
    """Where training runs usually are: ./runs, then the checkout's runs/."""
    return list(dict.fromkeys([Path.cwd() / "runs", REPO / "runs"]))


def make_settings(
    models: str,
    quick: bool,
    iterations: int | None,
    warmup: int | None,
    budget: float | None,
    cold_runs: int | None,
    keras: bool,
    runs_dir: Path | None,
) -> Settings:
    """Settings for a full run, or for ``--quick`` (< 60 s; default model fp32 and int8).
    Options left as None take the full or the quick default."""
    from hwr_edge import registry
    from hwr_edge.bench.infer import thread_counts
    from hwr_edge.bench.inputs import example_photos
    from hwr_edge.bench.machine import cpu_cores
    from hwr_edge.bench.plan import select_models, unshipped_fp32

    directory = registry.models_dir()
    manifest = registry.read_manifest(directory)
    cores = cpu_cores()
    photos = example_photos([Path.cwd(), REPO])
    runs_dirs = [runs_dir] if runs_dir else _default_runs_dirs()
    selected = select_models(manifest, directory, models, quick)
    if not quick:
        selected += unshipped_fp32(selected, manifest, runs_dirs)
    return Settings(
        models=selected,
        default_model=registry.default_name(manifest),
        threads=[1] if quick else thread_counts(cores),
        batches=(1, 32) if quick else (1, 8, 32, 128),
        iterations=iterations or (20 if quick else 100),
        warmup=warmup if warmup is not None else (2 if quick else 5),
        budget_s=budget if budget is not None else (0.3 if quick else 2.0),
        photos=photos[:1] if quick else photos,
        pipeline_threads=[1] if quick else sorted({1, cores}),
        cold_runs=cold_runs or (2 if quick else 5),
        keras=keras,
        keras_batches=(32,) if quick else (1, 32),
        runs_dirs=runs_dirs,
    )


def run_bench(settings: Settings, scratch: Path) -> dict:
    """Run every task with a progress bar on stderr; the whole result as a dict."""
    import cv2
    import numpy as np

    from hwr_edge import __version__
    from hwr_edge.bench.inputs import sample_crops, stream_frame
    from hwr_edge.bench.machine import machine_info
    from hwr_edge.bench.run import inference_tasks, keras_tasks, pipeline_tasks, process_tasks
    from hwr_edge.bench.targets import check_targets

    crops = sample_crops(max(max(settings.batches), max(settings.keras_batches)))
    crops_file = scratch / "crops.npy"
    np.save(crops_file, crops)
    frame = stream_frame()
    image = settings.photos[0] if settings.photos else scratch / "frame.png"
    cv2.imwrite(str(scratch / "frame.png"), frame)
    result: dict = {
        "schema": 1,
        "tool": "hwr-edge bench",
        "hwr_edge": __version__,
        "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        "argv": sys.argv,
        "machine": machine_info(),
        "load_average": {"start": list(os.getloadavg())},
        "settings": settings.to_dict(),
        "inference": [],
        "pipeline": [],
        "cold_start": [],
    }
    keras = keras_tasks(settings, result, crops_file)  # also records why it is skipped
    tasks = (
        inference_tasks(settings, result, crops)
        + pipeline_tasks(settings, result, frame)
        + process_tasks(settings, result, image)
        + keras
    )
    with typer.progressbar(
        tasks, label="bench", file=sys.stderr, item_show_func=lambda t: t.label if t else ""
    ) as bar:
        for task in bar:
            task.run()
    result["load_average"]["end"] = list(os.getloadavg())
    result["targets"] = check_targets(result)
    return result


def bench_command(
    models: str = typer.Option(
        "", "--models", help="Comma-separated model names, or 'all' (default: all shipped)."
    ),
    quick: bool = typer.Option(
        False, "--quick", help="Reduced run (< 60 s): default model fp32 and int8, 1 thread."
    ),
    iterations: int | None = typer.Option(
        None, "--iterations", "-n", min=1, help="Timed runs per measurement [100; quick 20]."
    ),
    warmup: int | None = typer.Option(
        None, "--warmup", min=0, help="Untimed runs before each measurement [5; quick 2]."
    ),
    budget: float | None = typer.Option(
        None, "--budget", min=0.0, help="Stop a measurement after this many s [2; quick 0.3]."
    ),
    cold_runs: int | None = typer.Option(
        None, "--cold-runs", min=1, help="Timed starts of each whole process [5; quick 2]."
    ),
    keras: bool = typer.Option(
        True, "--keras/--no-keras", help="Time the Keras source models too (needs TensorFlow)."
    ),
    runs_dir: Path | None = typer.Option(
        None, "--runs-dir", help="Where to find the .keras sources [./runs, <repo>/runs]."
    ),
    json_out: Path | None = typer.Option(None, "--json", help="Write every figure as JSON."),
    markdown: Path | None = typer.Option(None, "--markdown", help="Write the tables as Markdown."),
    plot: Path | None = typer.Option(
        None, "--plot", help="PNG of us/char by model and precision (needs matplotlib)."
    ),
) -> None:
    """Benchmark latency and memory on this CPU: model inference per character and per batch
    (fp32 against int8, 1 and 2 threads and all cores), pipeline stages on the example photos
    and a 640x480 frame, cold start and peak RSS of whole processes, and the Keras source
    models side by side when TensorFlow is installed. Reports median, p95 and p99."""
    from hwr_edge.bench.plot import plot_missing
    from hwr_edge.bench.report import full_report

    if plot is not None and (why := plot_missing()):
        _fail(why)
    for path, option in ((json_out, "--json"), (markdown, "--markdown"), (plot, "--plot")):
        _check_out(path, option)
    try:
        settings = make_settings(
            models, quick, iterations, warmup, budget, cold_runs, keras, runs_dir
        )
        with tempfile.TemporaryDirectory(prefix="hwr-edge-bench-") as scratch:
            result = run_bench(settings, Path(scratch))
    except HwrError as exc:
        _fail(str(exc))
    typer.echo(full_report(result))
    if json_out is not None:
        json_out.write_text(json.dumps(result, indent=1) + "\n")
    if markdown is not None:
        markdown.write_text(full_report(result, markdown=True) + "\n")
    if plot is not None:
        from hwr_edge.bench.plot import write_plot

        write_plot(result, plot)
