"""``hwr-edge bench``: JSON schema of a --quick run, the plot, targets, timing helpers.

The bench runs against a models folder built here (a tiny fp32 model and its static int8
quantization), so the test does not depend on which models are shipped.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from test_classifier import band_crops, write_model

from hwr_edge.bench.keras_compare import find_source
from hwr_edge.bench.machine import parse_cpuinfo
from hwr_edge.bench.process import cached_bytecode_env, run_child
from hwr_edge.bench.stats import measure, percentile, summarize
from hwr_edge.bench.targets import check_targets

REPO = Path(__file__).resolve().parents[1]
HAS_MATPLOTLIB = importlib.util.find_spec("matplotlib") is not None
ITERATIONS = 2


def quantize(fp32: Path, int8: Path) -> Path:
    """Static QDQ int8 copy of ``fp32``, calibrated on band crops, with int8 metadata."""
    import onnx
    from onnxruntime.quantization import CalibrationDataReader, QuantFormat, quantize_static

    class Reader(CalibrationDataReader):
        def __init__(self):
            batches = [band_crops([i % 4 for i in range(8)]).astype(np.float32)[..., None] / 255]
            self.batches = iter([{"image": b} for b in batches])

        def get_next(self):
            return next(self.batches, None)

    quantize_static(str(fp32), str(int8), Reader(), quant_format=QuantFormat.QDQ)
    model = onnx.load(str(int8))
    for prop in model.metadata_props:
        if prop.key == "hwr_edge.precision":
            prop.value = "int8"
    onnx.save(model, str(int8))
    return int8


def models_dir(directory: Path) -> Path:
    """A models folder with tiny-test-fp32 and tiny-test-int8 (the default) and a manifest."""
    directory.mkdir(parents=True)
    fp32 = write_model(directory / "tiny-test-fp32.onnx")
    int8 = quantize(fp32, directory / "tiny-test-int8.onnx")
    entries = []
    for path, precision in ((fp32, "fp32"), (int8, "int8")):
        data = path.read_bytes()
        entries.append(
            {
                "name": path.stem,
                "file": path.name,
                "sha256": hashlib.sha256(data).hexdigest(),
                "bytes": len(data),
                "arch": "tiny",
                "dataset": "test",
                "precision": precision,
                "labels": ["A", "B", "C", "D"],
                "accuracy": 0.5,
                "eval_set": "none",
            }
        )
    manifest = {"schema": 1, "default": "tiny-test-int8", "models": entries}
    (directory / "manifest.json").write_text(json.dumps(manifest))
    return directory


def bench(args: list[str], models: Path, cwd: Path) -> subprocess.CompletedProcess:
    """``python -m hwr_edge bench ARGS`` with ``models`` as the models folder."""
    env = {**os.environ, "HWR_EDGE_MODELS": str(models)}
    cmd = [sys.executable, "-m", "hwr_edge", "bench", *args]
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    """One --quick run with tiny iteration counts: (process, JSON result, output folder)."""
    tmp = tmp_path_factory.mktemp("bench")
    models = models_dir(tmp / "models")
    args = ["--quick", "--iterations", str(ITERATIONS), "--warmup", "0", "--cold-runs", "1"]
    args += ["--budget", "60", "--no-keras", "--json", str(tmp / "out.json")]
    args += ["--markdown", str(tmp / "out.md")]
    if HAS_MATPLOTLIB:
        args += ["--plot", str(tmp / "out.png")]
    done = bench(args, models, REPO)
    assert done.returncode == 0, done.stderr[-2000:]
    return done, json.loads((tmp / "out.json").read_text()), tmp


def check_summary(stats: dict, n: int) -> None:
    assert set(stats) == {"median", "p95", "p99", "mean", "min", "max", "n"}
    assert stats["n"] == n
    assert 0 < stats["min"] <= stats["median"] <= stats["p95"] <= stats["p99"] <= stats["max"]


def test_quick_json_schema_machine_and_settings(quick_run):
    _, result, _ = quick_run
    assert result["schema"] == 1 and result["tool"] == "hwr-edge bench"
    machine = result["machine"]
    assert machine["cpu_model"] and isinstance(machine["cpu_flags"], list)
    assert machine["cores"] >= 1 and machine["python"] == platform.python_version()
    import cv2
    import onnxruntime

    assert machine["onnxruntime"] == onnxruntime.__version__
    assert machine["opencv"] == cv2.__version__
    settings = result["settings"]
    assert settings["models"] == ["tiny-test-int8", "tiny-test-fp32"]
    assert settings["iterations"] == ITERATIONS and settings["threads"] == [1]
    assert len(result["load_average"]["start"]) == 3


def test_quick_inference_rows_cover_fp32_and_int8(quick_run):
    _, result, _ = quick_run
    rows = result["inference"]
    configs = {(r["model"], r["precision"], r["threads"], r["batch"]) for r in rows}
    assert configs == {(f"tiny-test-{p}", p, 1, b) for p in ("fp32", "int8") for b in (1, 32)}
    for r in rows:
        check_summary(r["batch_ms"], ITERATIONS)
        check_summary(r["char_us"], ITERATIONS)
        per_char = r["batch_ms"]["median"] * 1000 / r["batch"]
        assert r["char_us"]["median"] == pytest.approx(per_char)


def test_quick_pipeline_process_keras_and_targets(quick_run):
    done, result, _ = quick_run
    inputs = {r["input"] for r in result["pipeline"]}
    demo = {"note.jpg"} if (REPO / "examples" / "note.jpg").is_file() else set()
    assert inputs == {"frame 640x480"} | demo
    for r in result["pipeline"]:
        assert "error" not in r, r
        assert set(r["stages_ms"]) == {"load", "preprocess", "segment", "infer", "total"}
        check_summary(r["stages_ms"]["total"], ITERATIONS)
    frame = next(r for r in result["pipeline"] if r["input"] == "frame 640x480")
    assert frame["size"] == [640, 480]
    procs = {r["key"]: r for r in result["cold_start"]}
    assert set(procs) == {"interpreter", "version", "module", "script"}
    module = procs["module"]
    assert "error" not in module, module
    check_summary(module["wall_ms"], 1)
    check_summary(module["cpu_ms"], 1)
    assert module["peak_rss_mb"]["max"] > procs["interpreter"]["peak_rss_mb"]["max"] > 1
    assert result["keras"] == {
        "status": "skipped",
        "reason": "disabled with --no-keras",
        "models": [],
        "threads": 1,
    }
    assert [t["met"] for t in result["targets"]][2] is None
    assert all(set(t) == {"target", "measured", "met"} for t in result["targets"])
    assert "Model inference" in done.stdout and "tiny-test-int8" in done.stdout


def test_markdown_tables(quick_run):
    _, _, tmp = quick_run
    text = (tmp / "out.md").read_text()
    assert "| model | threads | batch |" in text and "| tiny-test-fp32 | 1 | 32 |" in text


@pytest.mark.skipif(not HAS_MATPLOTLIB, reason="matplotlib is not installed")
def test_plot_is_a_png(quick_run):
    import cv2

    _, _, tmp = quick_run
    data = (tmp / "out.png").read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    image = cv2.imread(str(tmp / "out.png"))
    assert image is not None and image.shape[0] > 100 and image.shape[1] > 100


def test_unknown_model_and_bad_output_folder_are_one_line_errors(tmp_path):
    models = models_dir(tmp_path / "models")
    done = bench(["--quick", "--models", "nope"], models, tmp_path)
    assert done.returncode != 0 and "Traceback" not in done.stderr
    assert done.stderr.strip().splitlines() == [
        "error: unknown model 'nope' for --models (installed: tiny-test-fp32, tiny-test-int8)"
    ]
    done = bench(["--quick", "--json", str(tmp_path / "no" / "x.json")], models, tmp_path)
    assert done.returncode != 0 and done.stderr.startswith("error: --json")
    assert len(done.stderr.strip().splitlines()) == 1


def test_percentiles_match_numpy():
    values = list(np.random.default_rng(0).random(37))
    for q in (50, 95, 99):
        assert percentile(values, q) == pytest.approx(np.percentile(values, q))
    stats = summarize([0.001, 0.002, 0.003], 1000)
    assert stats["median"] == pytest.approx(2.0) and stats["n"] == 3


def test_measure_runs_warmup_and_stops_at_budget():
    calls = []
    times = measure(lambda: calls.append(1), iterations=5, warmup=2)
    assert len(times) == 5 and len(calls) == 7
    slow = measure(lambda: time.sleep(0.01), iterations=100, warmup=0, budget_s=0.0)
    assert len(slow) == 3


def test_parse_cpuinfo_x86_and_raspberry_pi():
    x86 = "processor\t: 0\nmodel name\t: Intel(R) Xeon(R)\nflags\t\t: sse avx2 fma\n"
    assert parse_cpuinfo(x86)["model"] == "Intel(R) Xeon(R)"
    assert parse_cpuinfo(x86)["flags"] == ["avx2", "fma", "sse"]
    pi = "processor\t: 0\nFeatures\t: fp asimd crc32\nCPU part\t: 0xd08\n\n"
    pi += "Model\t\t: Raspberry Pi 4 Model B Rev 1.4\n"
    info = parse_cpuinfo(pi)
    assert info["model"] == "Raspberry Pi 4 Model B Rev 1.4 (Cortex-A72)"
    assert info["flags"] == ["asimd", "crc32", "fp"]


def test_child_peak_rss_is_the_childs_own():
    """A small child must not inherit this (large) process's RSS, a big one must show it."""
    ballast = np.ones(150_000_000 // 8)  # make this process large before spawning
    small = run_child([sys.executable, "-c", "pass"])
    big = run_child([sys.executable, "-c", "b = bytearray(200_000_000); b[::4096] = b'x' * 48829"])
    assert ballast.sum() > 0
    assert small["returncode"] == 0 and small["rss_mb"] < 60
    assert big["rss_mb"] > 200 and big["wall_s"] > 0


def test_targets_flag_a_slow_int8_and_a_slow_cold_start():
    def row(precision, batch, us):
        stats = {"median": us}
        return {"model": f"lenet5-mnist-{precision}", "arch": "lenet5", "dataset": "mnist"} | {
            "precision": precision,
            "threads": 1,
            "batch": batch,
            "char_us": stats,
        }

    result = {
        "inference": [row("fp32", 32, 50.0), row("int8", 32, 30.0), row("fp32", 8, 50.0)]
        + [row("int8", 8, 60.0)],
        "keras": {"status": "skipped", "reason": "x"},
        "cold_start": [
            {
                "key": "script",
                "label": "s",
                "wall_ms": {"median": 700.0},
                "peak_rss_mb": {"max": 90},
            }
        ],
    }
    int8, lenet, keras, cold, rss = check_targets(result)
    assert int8["met"] is False and "1.20" in int8["measured"] and "batch 8" in int8["measured"]
    assert lenet["met"] is True and "30.0 us" in lenet["measured"]
    assert keras["met"] is None and cold["met"] is False and rss["met"] is True


def test_find_source_prefers_the_matching_sha256(tmp_path):
    runs = tmp_path / "runs"
    (runs / "lenet5-mnist").mkdir(parents=True)
    (runs / "lenet5-mnist" / "model.keras").write_bytes(b"other")
    (runs / "old").mkdir()
    (runs / "old" / "best.keras").write_bytes(b"source")
    sha = hashlib.sha256(b"source").hexdigest()
    found = find_source([runs], "lenet5", "mnist", sha)
    assert found["path"] == str(runs / "old" / "best.keras") and found["sha256_match"]
    fallback = find_source([runs], "lenet5", "mnist", "0" * 64)
    assert fallback["path"].endswith("model.keras") and not fallback["sha256_match"]
    assert find_source([runs], "alexnet", "mnist", "1" * 64)["path"] is None


KERAS_MODEL = """
import sys
import keras
model = keras.Sequential(
    [keras.Input((28, 28, 1)), keras.layers.Flatten(), keras.layers.Dense(4, activation="softmax")]
)
model.save(sys.argv[1])
"""


@pytest.mark.slow
@pytest.mark.skipif(
    importlib.util.find_spec("tensorflow") is None, reason="TensorFlow is not installed"
)
def test_keras_side_by_side_times_keras_and_onnx_in_child_processes(tmp_path):
    from hwr_edge.bench.inputs import sample_crops
    from hwr_edge.bench.plan import Settings
    from hwr_edge.bench.run import keras_family

    source = tmp_path / "runs" / "tiny-test" / "model.keras"
    source.parent.mkdir(parents=True)
    subprocess.run([sys.executable, "-c", KERAS_MODEL, str(source)], check=True, timeout=300)
    sha = hashlib.sha256(source.read_bytes()).hexdigest()
    fp32 = write_model(tmp_path / "t-fp32.onnx", metadata={"hwr_edge.source_sha256": sha})
    int8 = quantize(fp32, tmp_path / "t-int8.onnx")
    entries = [
        {"name": p.stem, "path": p, "arch": "tiny", "dataset": "test", "precision": prec}
        for p, prec in ((fp32, "fp32"), (int8, "int8"))
    ]
    np.save(tmp_path / "crops.npy", sample_crops(8))
    settings = Settings(
        models=entries,
        default_model="t-int8",
        threads=[1],
        iterations=3,
        warmup=1,
        keras_batches=(8,),
        runs_dirs=[tmp_path / "runs"],
    )
    out = keras_family(settings, "tiny-test", entries, tmp_path / "crops.npy", threads=1)
    assert "error" not in out, out
    assert out["source"] == {"path": str(source), "sha256_match": True, "note": ""}
    rows = {r["method"]: r for r in out["rows"]}
    assert set(rows) == {"keras predict", "keras model(x)", "onnx fp32", "onnx int8"}
    for r in rows.values():
        assert r["batch"] == 8
        check_summary(r["char_us"], 3)
    ratio = rows["keras predict"]["char_us"]["median"] / rows["onnx int8"]["char_us"]["median"]
    assert rows["keras predict"]["note"] == f"{ratio:.1f}x onnx int8 time"
    assert rows["keras predict"]["peak_rss_mb"] > rows["onnx int8"]["peak_rss_mb"] > 10


def test_unshipped_fp32_comes_from_the_run_folder(tmp_path):
    from hwr_edge.bench.plan import unshipped_fp32

    manifest = {"models": [{"name": "alexnet-mnist-int8"}, {"name": "lenet5-mnist-int8"}]}
    manifest["models"].append({"name": "lenet5-mnist-fp32"})
    selected = [
        {"name": n, "arch": n.split("-")[0], "dataset": "mnist", "precision": "int8"}
        for n in ("alexnet-mnist-int8", "lenet5-mnist-int8")
    ]
    for base in ("alexnet-mnist", "lenet5-mnist"):
        (tmp_path / base).mkdir()
        (tmp_path / base / f"{base}-fp32.onnx").write_bytes(b"x")
    extra = unshipped_fp32(selected, manifest, [tmp_path / "none", tmp_path])
    assert [(e["name"], e["precision"], e["shipped"]) for e in extra] == [
        ("alexnet-mnist-fp32", "fp32", False)
    ]
    assert extra[0]["path"] == tmp_path / "alexnet-mnist" / "alexnet-mnist-fp32.onnx"


def test_missing_matplotlib_or_tensorflow_is_reported(monkeypatch, tmp_path):
    import typer
    from typer.testing import CliRunner

    from hwr_edge.bench import bench_command, keras_compare, plot

    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None)
    assert keras_compare.tensorflow_missing().startswith("TensorFlow is not installed")
    assert plot.plot_missing() == plot.MISSING
    app = typer.Typer()
    app.command()(bench_command)
    done = CliRunner().invoke(app, ["--quick", "--plot", str(tmp_path / "x.png")])
    assert done.exit_code == 2
    assert done.output.strip() == f"error: {plot.MISSING}"
    assert not (tmp_path / "x.png").exists()


def test_keras_rows_say_why_when_no_source_was_measured(monkeypatch, tmp_path):
    from types import SimpleNamespace

    from hwr_edge.bench import keras_compare, report, run

    note = "skipped: no .keras source found (runs/tiny-test/model.keras)"
    monkeypatch.setattr(keras_compare, "tensorflow_missing", lambda: None)
    monkeypatch.setattr(run, "keras_family", lambda s, family, *a: {"model": family, "error": note})
    settings = SimpleNamespace(
        keras=True, threads=[1], models=[{"arch": "tiny", "dataset": "test"}]
    )
    result: dict = {}
    for task in run.keras_tasks(settings, result, tmp_path / "crops.npy"):
        task.run()
    assert result["keras"]["status"] == "skipped" and result["keras"]["reason"] == note
    assert report.keras_table(result) == f"Keras side-by-side skipped: {note}"
    monkeypatch.setattr(keras_compare, "tensorflow_missing", lambda: "TensorFlow is not installed")
    result = {}
    assert run.keras_tasks(settings, result, tmp_path / "crops.npy") == []
    assert report.keras_table(result) == "Keras side-by-side skipped: TensorFlow is not installed"


def test_cold_starts_run_from_cached_bytecode(tmp_path, monkeypatch):
    """With PYTHONDONTWRITEBYTECODE set, the timed starts still find their modules compiled:
    the untimed start writes the bytecode under the temporary prefix."""
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "probe_module.py").write_text("VALUE = 1\n")
    monkeypatch.setenv("PYTHONDONTWRITEBYTECODE", "1")
    env = cached_bytecode_env(tmp_path / "cache")
    assert "PYTHONDONTWRITEBYTECODE" not in env
    assert env["PYTHONPYCACHEPREFIX"] == str(tmp_path / "cache")
    cmd = [sys.executable, "-c", "import probe_module"]
    assert run_child(cmd, cwd=tmp_path / "src", env=env)["returncode"] == 0
    assert list((tmp_path / "cache").rglob("probe_module*.pyc"))
    assert run_child(cmd, cwd=tmp_path / "src")["returncode"] == 0
    assert not list((tmp_path / "src").rglob("*.pyc"))  # this environment writes none
