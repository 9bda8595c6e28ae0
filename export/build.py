"""``python -m export build``: rebuild models/ end to end (train, convert, gate, manifest)."""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from export.convert import (
    ExportError,
    dataset_dir,
    keras_to_onnx,
    load_keras,
    onnx_predict,
    parity_gate,
    run_info,
    to_input,
)
from export.manifest import (
    file_sha256,
    manifest_entry,
    model_metadata,
    verify_manifest,
    write_manifest,
    write_metadata,
)
from export.quantize import METHODS, QuantConfig, fallback_configs, quantize_gated
from hwr_edge.classifier import NON_CHARACTERS
from hwr_edge.convention import InputConvention

MIB = 1024 * 1024
# Defaults ("alnum", "digits") are the most accurate int8 models small enough for an edge CPU.
DEFAULT_MAX_BYTES = 5 * MIB
REPORT = "build-report.json"


@dataclass(frozen=True)
class Spec:
    """One shipped model family: a training run and which precisions go into models/."""

    arch: str
    dataset: str
    epochs: int
    ship_fp32: bool = True  # False: fp32 is rebuilt into the run directory, not committed
    more_epochs: int = 0  # then continue the best checkpoint this many epochs (--resume-from)
    negatives: int = 0  # ... adding this many non-characters as a class (--negatives)
    touching: int = 0  # ... and this many runs of touching characters as one (--touching)

    @property
    def name(self) -> str:
        return f"{self.arch}-{self.dataset}"


# The recipes of the shipped files (docs/results-training.md has each run's command).
SPECS = (
    Spec("lenet5", "mnist", 12),
    Spec("lenet5", "emnist47", 15),
    Spec("edgenet", "emnist47", 24, more_epochs=5, negatives=12000, touching=12000),
    Spec("alexnet", "mnist", 10, ship_fp32=False, more_epochs=4),
)


def eval_set_name(dataset: str, n: int, removed: int) -> str:
    """Human-readable name of the held-out evaluation set."""
    if dataset == "mnist":
        return f"MNIST test ({n:,})"
    return (
        f"EMNIST Balanced train part, deduplicated ({n:,} of {n + removed:,}; "
        "not the official protocol)"
    )


def ensure_run(spec: Spec, data_root: Path, runs: Path, retrain: bool, log) -> Path:
    """The run directory of ``spec``: reused when it holds model.keras, else trained now."""
    run_dir = Path(runs) / spec.name
    if not retrain and (run_dir / "model.keras").is_file():
        log(f"[{spec.name}] train: reusing {run_dir}")
        return run_dir
    from export.train import train

    log(f"[{spec.name}] train: {spec.epochs} epochs into {run_dir} (this takes a while)")
    data_dir = dataset_dir(data_root, spec.dataset)
    if not spec.more_epochs:
        return Path(train(spec.arch, spec.dataset, data_dir, spec.epochs, run_dir, verbose=2))
    base = run_dir.with_name(run_dir.name + "-base")
    train(spec.arch, spec.dataset, data_dir, spec.epochs, base, verbose=2)
    log(f"[{spec.name}] train: {spec.more_epochs} more epochs from {base} into {run_dir}")
    resume = base / "model.keras"
    more = {"resume_from": resume, "negatives": spec.negatives, "touching": spec.touching}
    train(spec.arch, spec.dataset, data_dir, spec.more_epochs, run_dir, verbose=2, **more)
    return run_dir


def size_mib(path: Path) -> float:
    """File size in MiB (the unit of the seed report's model sizes)."""
    return Path(path).stat().st_size / MIB


def build_one(spec: Spec, args, log=print) -> dict:
    """Train/reuse, convert, parity gate, quantize, accuracy gate and metadata for one spec."""
    from export.data import load

    run_dir = ensure_run(spec, args.data_root, args.runs, args.retrain, log)
    info = run_info(run_dir)
    data_dir = dataset_dir(args.data_root, spec.dataset)
    test, train_x = load(spec.dataset, data_dir, "test"), load(spec.dataset, data_dir, "train").x
    eval_set = eval_set_name(spec.dataset, len(test.y), test.removed)
    x = to_input(test.x, float(info["convention"].get("scale", 255.0)))

    log(f"[{spec.name}] convert: {info['keras']} -> ONNX (opset 17, image -> probs)")
    model = load_keras(info["keras"])
    keras_probs = np.asarray(model.predict(x, batch_size=512, verbose=0), dtype=np.float32)
    fp32_dir = Path(args.models) if spec.ship_fp32 else run_dir
    fp32_path = keras_to_onnx(model, fp32_dir / f"{spec.name}-fp32.onnx")
    fp32_probs = onnx_predict(fp32_path, x)
    parity = parity_gate(keras_probs, fp32_probs)
    log(f"[{spec.name}] parity gate passed: {json.dumps(parity)}")

    log(f"[{spec.name}] quantize: static QDQ int8, per-channel weights")
    int8_path = Path(args.models) / f"{spec.name}-int8.onnx"
    configs = fallback_configs(QuantConfig(args.method, args.calib_n))
    quant = quantize_gated(
        fp32_path, int8_path, spec.dataset, train_x, test.x, test.y, configs, log=log
    )

    log(f"[{spec.name}] metadata: labels, input convention, accuracy, sha256, versions")
    if not info["convention"]:
        raise ExportError(f"{run_dir}: no convention.json (the model's input convention)")
    convention = json.loads(InputConvention.from_json(json.dumps(info["convention"])).to_json())
    labels = info["metrics"].get("labels", test.labels)
    if labels[: len(test.labels)] != test.labels or not set(labels[len(test.labels) :]) <= set(
        NON_CHARACTERS
    ):
        raise ExportError(f"{run_dir}: run labels differ from the {spec.dataset} loader's labels")
    source = file_sha256(info["keras"])
    keras_acc = float(np.mean(keras_probs.argmax(1) == test.y))
    common = {"eval_set": eval_set, "n": len(test.y), "keras_accuracy": keras_acc}
    fp32_record = {**common, "accuracy": quant["fp32_accuracy"]}
    int8_record = {**common, "accuracy": quant["int8_accuracy"], "calibration": quant["config"]}
    int8_record["fp32_accuracy"] = quant["fp32_accuracy"]
    records = (fp32_path, "fp32", fp32_record), (int8_path, "int8", int8_record)
    for path, precision, record in records:
        props = model_metadata(
            labels, convention, spec.arch, spec.dataset, precision, record, source
        )
        write_metadata(path, props)
    return {
        "name": spec.name,
        "run": str(run_dir),
        "train_command": info["metrics"].get("command"),
        "eval_set": eval_set,
        "n": len(test.y),
        "keras_accuracy": keras_acc,
        "keras_mib": size_mib(info["keras"]),
        "keras_weights_mib": model.count_params() * 4 / MIB,
        "fp32_file": str(fp32_path),
        "fp32_mib": size_mib(fp32_path),
        "int8_file": str(int8_path),
        "int8_mib": size_mib(int8_path),
        "parity": parity,
        **quant,
    }


def choose_defaults(models_dir: Path) -> tuple[str, dict[str, str]]:
    """(default, {"alnum", "digits"}): the most accurate int8 model under DEFAULT_MAX_BYTES."""
    entries = [manifest_entry(p) for p in sorted(Path(models_dir).glob("*.onnx"))]
    defaults = {}
    for role, dataset in (("alnum", "emnist47"), ("digits", "mnist")):
        pool = [
            e
            for e in entries
            if e["precision"] == "int8"
            and e["dataset"] == dataset
            and e["bytes"] <= DEFAULT_MAX_BYTES
        ]
        if not pool:
            raise ExportError(f"no small int8 {dataset} model in {models_dir} for '{role}'")
        defaults[role] = max(pool, key=lambda e: e["accuracy"])["name"]
    return defaults["alnum"], defaults


def build(args, log=print) -> dict:
    """Build every selected spec, then write and verify the manifest; returns the report."""
    specs = [s for s in SPECS if args.only in (None, s.name)]
    Path(args.models).mkdir(parents=True, exist_ok=True)
    report_path = Path(args.runs) / REPORT
    report = json.loads(report_path.read_text()) if report_path.is_file() else {}
    for spec in specs:
        report[spec.name] = build_one(spec, args, log)
        report_path.parent.mkdir(parents=True, exist_ok=True)
        report_path.write_text(json.dumps(report, indent=2) + "\n")
    default, defaults = choose_defaults(args.models)
    manifest = write_manifest(args.models, default, defaults)
    problems = verify_manifest(args.models)
    if problems:
        raise ExportError(f"{manifest}: " + "; ".join(problems))
    log(f"manifest: {manifest} verified (default {default}, {json.dumps(defaults)})")
    log(f"report: {report_path}")
    for name in (s.name for s in specs):
        r = report[name]
        log(
            f"  {name}: keras {r['keras_accuracy']:.5f} ({r['keras_mib']:.2f} MiB), "
            f"fp32 {r['fp32_accuracy']:.5f} ({r['fp32_mib']:.2f} MiB, "
            f"{r['fp32_us_per_char']:.1f} us/char), int8 {r['int8_accuracy']:.5f} "
            f"({r['int8_mib']:.2f} MiB, {r['int8_us_per_char']:.1f} us/char)"
        )
    return report


def register(subparsers) -> None:
    """Add ``python -m export build``."""
    p = subparsers.add_parser("build", help="rebuild models/ end to end")
    p.add_argument("--data-root", type=Path, default=Path("../shared/data"))
    p.add_argument("--runs", type=Path, default=Path("runs"), help="training run directories")
    p.add_argument("--models", type=Path, default=Path("models"), help="output models folder")
    p.add_argument("--retrain", action="store_true", help="train even when a run exists")
    p.add_argument("--only", choices=[s.name for s in SPECS], help="build one model family")
    p.add_argument("--calib-n", type=int, default=1000, help="calibration images (training set)")
    p.add_argument("--method", choices=METHODS, default="minmax", help="first calibration method")
    p.set_defaults(func=_cli)


def _cli(args) -> int:
    """Run the build subcommand; failures become one ``error:`` line."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # keep the progress lines readable
    try:
        build(args)
    except (ExportError, OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0
