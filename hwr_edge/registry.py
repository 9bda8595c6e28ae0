"""Model registry: finds the models folder, reads its manifest, resolves and verifies models.

The folder is ``$HWR_EDGE_MODELS``, else the installed ``hwr_edge.models`` package, else
``<repo>/models`` in a checkout. A model name is looked up in ``manifest.json``; a path
to an ``.onnx`` file is used as is (no manifest entry, so no sha256 check).
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from hwr_edge.errors import ModelError

ENV_VAR = "HWR_EDGE_MODELS"
MANIFEST = "manifest.json"


@dataclass(frozen=True)
class ModelInfo:
    """A resolved model: its name, file, and manifest entry (None for a plain path)."""

    name: str
    path: Path
    entry: dict | None = None


def models_dir() -> Path:
    """The folder that holds the shipped models and ``manifest.json``."""
    env = os.environ.get(ENV_VAR)
    if env:
        path = Path(env).expanduser()
        if not path.is_dir():
            raise ModelError(f"{ENV_VAR}={env}: no such directory")
        return path
    candidates = [_package_dir(), Path(__file__).resolve().parents[1] / "models"]
    for path in candidates:
        if path is not None and (path / MANIFEST).is_file():
            return path
    looked = ", ".join(str(p) for p in candidates if p is not None)
    raise ModelError(f"no models found (looked for {MANIFEST} in {looked}; set {ENV_VAR})")


def _package_dir() -> Path | None:
    """The installed ``hwr_edge.models`` data package, if there is one on disk."""
    from importlib.resources import files

    try:
        path = Path(str(files("hwr_edge.models")))
    except (ModuleNotFoundError, TypeError):
        return None
    return path if path.is_dir() else None


def read_manifest(directory: Path | None = None) -> dict:
    """Parse ``manifest.json`` of ``directory`` (default: ``models_dir()``)."""
    directory = models_dir() if directory is None else Path(directory)
    path = directory / MANIFEST
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        hint = f"{ENV_VAR} is set" if os.environ.get(ENV_VAR) else f"set {ENV_VAR}"
        raise ModelError(f"{path}: model manifest not found ({hint})") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelError(f"{path}: unreadable model manifest ({exc})") from None
    if not isinstance(manifest, dict) or not isinstance(manifest.get("models"), list):
        raise ModelError(f"{path}: not a model manifest (no 'models' list)")
    return manifest


def default_name(manifest: dict, charset: str | None = None) -> str:
    """The manifest's default model, or its default for a named charset such as ``digits``."""
    name = (manifest.get("defaults") or {}).get(charset) if charset else None
    name = name or manifest.get("default")
    if not name:
        raise ModelError("the model manifest names no default model; pass --model")
    return name


def resolve(name_or_path: str | os.PathLike | None = None, charset: str | None = None) -> ModelInfo:
    """Turn a model name, an ``.onnx`` path, or None (the default) into a ``ModelInfo``."""
    if name_or_path is not None and _looks_like_path(str(name_or_path)):
        path = Path(name_or_path).expanduser()
        if not path.is_file():
            what = "is a directory, not a model file" if path.is_dir() else "model file not found"
            raise ModelError(f"{path}: {what}")
        return ModelInfo(name=path.stem, path=path, entry=None)
    directory = models_dir()
    manifest = read_manifest(directory)
    name = str(name_or_path) if name_or_path is not None else default_name(manifest, charset)
    for entry in manifest["models"]:
        if entry.get("name") == name:
            path = directory / entry.get("file", f"{name}.onnx")
            if not path.is_file():
                raise ModelError(f"{path}: model file missing (manifest entry {name!r})")
            return ModelInfo(name=name, path=path, entry=entry)
    known = ", ".join(e.get("name", "?") for e in manifest["models"]) or "none"
    raise ModelError(f"unknown model {name!r} (installed: {known})")


def _looks_like_path(text: str) -> bool:
    """Whether ``--model`` text names a file rather than a manifest entry."""
    return text.endswith(".onnx") or os.sep in text or "/" in text or Path(text).is_file()


def file_sha256(path: Path) -> str:
    """SHA-256 of a file, cached per (path, size, mtime) so repeated loads don't rehash."""
    stat = path.stat()
    return _sha256_cached(str(path.resolve()), stat.st_size, stat.st_mtime_ns)


@lru_cache(maxsize=64)
def _sha256_cached(path: str, size: int, mtime_ns: int) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def verify(info: ModelInfo) -> None:
    """Refuse a manifest model whose size or sha256 differs from the manifest."""
    if info.entry is None:
        return
    expected = str(info.entry.get("sha256", "")).lower()
    if not expected:
        raise ModelError(f"{info.path}: manifest entry {info.name!r} has no sha256")
    try:
        size = info.path.stat().st_size
        actual = file_sha256(info.path)
    except OSError as exc:
        raise ModelError(f"{info.path}: cannot read model ({exc.strerror or exc})") from None
    if actual != expected:
        want = info.entry.get("bytes")
        sizes = f", {size} bytes instead of {want}" if want and want != size else ""
        raise ModelError(
            f"{info.path}: sha256 mismatch (expected {expected[:12]}..., got {actual[:12]}..."
            f"{sizes}); the model file is corrupt or was replaced"
        )


def _sha_ok(info: ModelInfo) -> bool:
    """Whether ``verify`` accepts a model."""
    try:
        verify(info)
    except ModelError:
        return False
    return True


def list_models() -> list[dict]:
    """One row per manifest model: name, file, classes (characters it reads), reject_classes
    (its "not a character" and "touching characters" classes), bytes, accuracy, sha_ok,
    default, and default_for (the charsets it is the manifest's default for, such as
    ``digits``; the digits default is also the recognizer's second opinion on digits)."""
    from hwr_edge.classifier import NON_CHARACTERS

    directory = models_dir()
    manifest = read_manifest(directory)
    default = manifest.get("default")
    charsets = (manifest.get("defaults") or {}).items()
    rows = []
    for entry in manifest["models"]:
        info = ModelInfo(entry.get("name", "?"), directory / entry.get("file", ""), entry)
        exists = info.path.is_file()
        labels = entry.get("labels") or []
        rejects = sum(label in NON_CHARACTERS for label in labels)
        rows.append(
            {
                "name": info.name,
                "file": str(info.path),
                "classes": len(labels) - rejects,
                "reject_classes": rejects,
                "bytes": info.path.stat().st_size if exists else None,
                "accuracy": entry.get("accuracy"),
                "eval_set": entry.get("eval_set"),
                "precision": entry.get("precision"),
                "sha_ok": exists and _sha_ok(info),
                "default": info.name == default,
                "default_for": sorted(c for c, name in charsets if name == info.name),
            }
        )
    return rows
