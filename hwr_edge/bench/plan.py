"""What one ``hwr-edge bench`` run measures: its settings, its tasks, which models it times."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from hwr_edge.bench.infer import BATCHES, sibling
from hwr_edge.errors import HwrError


@dataclass
class Settings:
    """Everything a run depends on; saved in the JSON output next to the figures."""

    models: list[dict]  # manifest entries, each with an added "path"
    default_model: str
    threads: list[int]
    batches: tuple[int, ...] = BATCHES
    iterations: int = 100
    warmup: int = 5
    budget_s: float = 2.0
    photos: list[Path] = field(default_factory=list)
    pipeline_threads: list[int] = field(default_factory=list)
    cold_runs: int = 5
    keras: bool = True
    keras_batches: tuple[int, ...] = (1, 32)
    runs_dirs: list[Path] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {
            "models": [m["name"] for m in self.models],
            "default_model": self.default_model,
            "threads": self.threads,
            "batches": list(self.batches),
            "iterations": self.iterations,
            "warmup": self.warmup,
            "budget_s": self.budget_s,
            "photos": [str(p) for p in self.photos],
            "pipeline_threads": self.pipeline_threads,
            "cold_runs": self.cold_runs,
            "keras": self.keras,
            "keras_batches": list(self.keras_batches),
            "runs_dirs": [str(p) for p in self.runs_dirs],
        }


@dataclass
class Task:
    """One step of the run, shown on the progress bar."""

    label: str
    run: Callable[[], None]


def select_models(manifest: dict, directory: Path, wanted: str, quick: bool) -> list[dict]:
    """Manifest entries to time: ``wanted`` (comma-separated or ``all``), else all, or with
    ``quick`` the default model and its other precision."""
    from hwr_edge.registry import default_name

    entries = {e["name"]: {**e, "path": directory / e["file"]} for e in manifest["models"]}
    if wanted and wanted != "all":
        names = [n.strip() for n in wanted.split(",") if n.strip()]
    elif quick and not wanted:
        default = default_name(manifest)
        names = [default]
        for precision in ("fp32", "int8"):
            other = sibling(default, precision, list(entries))
            if other and other not in names:
                names.append(other)
    else:
        names = list(entries)
    unknown = [n for n in names if n not in entries]
    if unknown:
        known = ", ".join(entries) or "none"
        raise HwrError(f"unknown model {unknown[0]!r} for --models (installed: {known})")
    return [entries[n] for n in names]


def unshipped_fp32(selected: list[dict], manifest: dict, runs_dirs: list[Path]) -> list[dict]:
    """fp32 counterparts that are not shipped (e.g. AlexNet's, too big to commit) but that
    the build left in ``runs/<arch>-<dataset>/``, so that int8 can still be compared."""
    shipped = {e["name"] for e in manifest["models"]}
    extra = []
    for entry in selected:
        base, _, precision = entry["name"].rpartition("-")
        name = f"{base}-fp32"
        if precision != "int8" or name in shipped:
            continue
        for directory in runs_dirs:
            path = directory / base / f"{name}.onnx"
            if path.is_file():
                extra.append(
                    {**entry, "name": name, "file": path.name, "path": path}
                    | {"precision": "fp32", "shipped": False}
                )
                break
    return extra
