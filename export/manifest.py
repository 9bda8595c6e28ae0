"""ONNX metadata_props (``hwr_edge.*``) and models/manifest.json, with a verifier."""

from __future__ import annotations

import hashlib
import json
from importlib import metadata as importlib_metadata
from pathlib import Path

from export.convert import OUTPUT_NAME, ExportError

PREFIX = "hwr_edge."
KEYS = (
    "labels",
    "input",
    "arch",
    "dataset",
    "protocol",
    "precision",
    "accuracy",
    "source_sha256",
    "versions",
)
MANIFEST = "manifest.json"
SCHEMA = 1
PROTOCOLS = {
    "mnist": "Trained on the MNIST train set (60,000 images, 10% held out for validation); "
    "evaluated on the official MNIST test set (10,000 images).",
    "emnist47": "Trained on the official EMNIST ByClass test split (116,323 images, 10% held out "
    "for validation) mapped to the 47 Balanced classes; evaluated on part of the official "
    "Balanced train split (indices 103,680-112,799) after removing every image whose bytes "
    "occur in the training pool; this is not the official EMNIST protocol.",
}
TOOLS = {
    "tensorflow": ("tensorflow", "tensorflow-cpu"),
    "keras": ("keras",),
    "tf2onnx": ("tf2onnx",),
    "onnx": ("onnx",),
    "onnxruntime": ("onnxruntime",),
}


def file_sha256(path: Path) -> str:
    """Hex SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def tool_versions() -> dict[str, str]:
    """Installed versions of the build tools (read from package metadata, nothing imported)."""
    versions = {}
    for tool, dists in TOOLS.items():
        for dist in dists:
            try:
                versions[tool] = importlib_metadata.version(dist)
                break
            except importlib_metadata.PackageNotFoundError:
                continue
    return versions


def output_size(model) -> int:
    """Number of classes C of the ``probs`` output ``[N, C]`` (ExportError if not static)."""
    outputs = [o for o in model.graph.output if o.name == OUTPUT_NAME]
    if not outputs:
        raise ExportError(f"model has no output named {OUTPUT_NAME!r}")
    dims = outputs[0].type.tensor_type.shape.dim
    if len(dims) != 2 or not dims[1].dim_value:
        raise ExportError(f"output {OUTPUT_NAME!r} is not [N, C] with a fixed C")
    return int(dims[1].dim_value)


def model_metadata(
    labels: list[str],
    convention: dict,
    arch: str,
    dataset: str,
    precision: str,
    accuracy: dict,
    source_sha256: str,
) -> dict[str, str]:
    """The ``hwr_edge.*`` metadata_props (all strings) for one model file."""
    if dataset not in PROTOCOLS:
        raise ExportError(f"unknown dataset {dataset!r} (use {', '.join(PROTOCOLS)})")
    if precision not in ("fp32", "int8"):
        raise ExportError(f"unknown precision {precision!r} (use fp32 or int8)")
    missing = {"eval_set", "n", "accuracy"} - set(accuracy)
    if missing:
        raise ExportError(f"accuracy record lacks {sorted(missing)}")
    values = {
        "labels": json.dumps(labels, ensure_ascii=False),
        "input": json.dumps(convention, sort_keys=True),
        "arch": arch,
        "dataset": dataset,
        "protocol": PROTOCOLS[dataset],
        "precision": precision,
        "accuracy": json.dumps(accuracy, sort_keys=True),
        "source_sha256": source_sha256,
        "versions": json.dumps(tool_versions(), sort_keys=True),
    }
    return {PREFIX + key: value for key, value in values.items()}


def write_metadata(onnx_path: Path, props: dict[str, str]) -> None:
    """Replace the ``hwr_edge.*`` metadata_props of ``onnx_path``; refuse a labels/output clash."""
    import onnx

    model = onnx.load(str(onnx_path))
    labels = json.loads(props[PREFIX + "labels"])
    classes = output_size(model)
    if len(labels) != classes:
        raise ExportError(
            f"{onnx_path}: {len(labels)} labels but the model outputs {classes} classes"
        )
    if any(not isinstance(c, str) or len(c) != 1 for c in labels):
        raise ExportError(f"{onnx_path}: every label must be a one-character string")
    kept = [p for p in model.metadata_props if not p.key.startswith(PREFIX)]
    model.ClearField("metadata_props")
    model.metadata_props.extend(kept)
    for key, value in props.items():
        entry = model.metadata_props.add()
        entry.key, entry.value = key, value
    onnx.save(model, str(onnx_path))


def read_metadata(onnx_path: Path) -> dict[str, str]:
    """The ``hwr_edge.*`` metadata_props of an ONNX file, keys without the prefix."""
    import onnx

    model = onnx.load(str(onnx_path), load_external_data=False)
    return {p.key[len(PREFIX) :]: p.value for p in model.metadata_props if p.key.startswith(PREFIX)}


def manifest_entry(path: Path) -> dict:
    """The manifest record of one model file, from its bytes and its metadata."""
    meta = read_metadata(path)
    missing = [k for k in KEYS if k not in meta]
    if missing:
        raise ExportError(f"{path}: metadata lacks {', '.join(PREFIX + k for k in missing)}")
    accuracy = json.loads(meta["accuracy"])
    return {
        "name": path.stem,
        "file": path.name,
        "sha256": file_sha256(path),
        "bytes": path.stat().st_size,
        "arch": meta["arch"],
        "dataset": meta["dataset"],
        "precision": meta["precision"],
        "labels": json.loads(meta["labels"]),
        "accuracy": accuracy["accuracy"],
        "eval_set": accuracy["eval_set"],
    }


def write_manifest(models_dir: Path, default: str, defaults: dict[str, str]) -> Path:
    """Write models_dir/manifest.json listing every ``*.onnx`` there (sorted by name)."""
    models_dir = Path(models_dir)
    entries = [manifest_entry(p) for p in sorted(models_dir.glob("*.onnx"))]
    names = {e["name"] for e in entries}
    for role, name in {"default": default, **defaults}.items():
        if name not in names:
            raise ExportError(f"manifest {role} model {name!r} is not in {models_dir}")
    manifest = {"schema": SCHEMA, "default": default, "defaults": defaults, "models": entries}
    path = models_dir / MANIFEST
    path.write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
    return path


def verify_manifest(models_dir: Path) -> list[str]:
    """Every problem found between manifest.json and the model files (empty list: all good)."""
    models_dir = Path(models_dir)
    try:
        manifest = json.loads((models_dir / MANIFEST).read_text())
    except (OSError, json.JSONDecodeError) as exc:
        return [f"{models_dir / MANIFEST}: cannot read ({exc})"]
    problems = []
    if manifest.get("schema") != SCHEMA:
        problems.append(f"schema is {manifest.get('schema')!r}, expected {SCHEMA}")
    names = set()
    for entry in manifest.get("models", []):
        names.add(entry.get("name"))
        problems += _entry_problems(models_dir, entry)
    roles = {"default": manifest.get("default"), **manifest.get("defaults", {})}
    problems += [f"{role} model {n!r} is not listed" for role, n in roles.items() if n not in names]
    listed = {e.get("file") for e in manifest.get("models", [])}
    problems += [f"{p.name}: not listed" for p in models_dir.glob("*.onnx") if p.name not in listed]
    return problems


def _entry_problems(models_dir: Path, entry: dict) -> list[str]:
    """Problems of one manifest entry: missing file, size, sha256, metadata disagreement."""
    import onnx

    path = models_dir / str(entry.get("file"))
    if not path.is_file():
        return [f"{path.name}: file missing"]
    problems = []
    if path.stat().st_size != entry.get("bytes"):
        size = path.stat().st_size
        problems.append(f"{path.name}: {size} bytes, manifest says {entry.get('bytes')}")
    if file_sha256(path) != entry.get("sha256"):
        problems.append(f"{path.name}: sha256 differs from the manifest (corrupt or replaced)")
        return problems
    try:
        actual = manifest_entry(path)
        classes = output_size(onnx.load(str(path)))
    except (ExportError, ValueError) as exc:
        return problems + [f"{path.name}: {exc}"]
    for key in ("arch", "dataset", "precision", "labels", "accuracy", "eval_set"):
        if actual[key] != entry.get(key):
            problems.append(f"{path.name}: manifest {key} differs from the file's metadata")
    if classes != len(actual["labels"]):
        problems.append(f"{path.name}: {len(actual['labels'])} labels for {classes} outputs")
    return problems
