"""``python -m export restamp``: change the input convention written in shipped models.

A convention field that the runtime learns to honour (such as ``blur``) can be set on models
that are already built, without retraining: the ``hwr_edge.input`` metadata of each file is
rewritten and ``models/manifest.json`` is written again with the new sizes and SHA-256 (its
default models kept). The weights are not touched.
"""

from __future__ import annotations

import json
from dataclasses import fields
from pathlib import Path

from export.convert import ExportError
from export.manifest import MANIFEST, PREFIX, read_metadata, write_manifest, write_metadata
from hwr_edge.convention import InputConvention


def restamp(paths: list[Path], changes: dict) -> None:
    """Set ``changes`` (convention field -> value) in each model's ``hwr_edge.input`` and
    rewrite the manifest of the folder the models are in."""
    known = {f.name for f in fields(InputConvention)}
    unknown = sorted(set(changes) - known)
    if unknown:
        raise ExportError(f"not input convention fields: {', '.join(unknown)}")
    folders = {Path(p).resolve().parent for p in paths}
    if len(folders) != 1:
        raise ExportError("restamp models of one folder at a time")
    for path in map(Path, paths):
        meta = read_metadata(path)
        if "input" not in meta:
            raise ExportError(f"{path}: no {PREFIX}input metadata")
        convention = {**json.loads(meta["input"]), **changes}
        meta["input"] = InputConvention(**convention).to_json()
        write_metadata(path, {PREFIX + key: value for key, value in meta.items()})
    folder = folders.pop()
    manifest = json.loads((folder / MANIFEST).read_text())
    write_manifest(folder, manifest["default"], manifest.get("defaults", {}))


def _run(args) -> int:
    restamp(args.models, {"blur": args.blur})
    for path in args.models:
        print(f"{path}: {read_metadata(Path(path))['input']}")
    return 0


def register(subparsers) -> None:
    """Add ``restamp`` to ``python -m export``."""
    p = subparsers.add_parser("restamp", help="change the input convention of built models")
    p.add_argument("models", nargs="+", type=Path, help=".onnx files of one models folder")
    p.add_argument("--blur", type=float, required=True, help="Gaussian sigma in crop pixels")
    p.set_defaults(func=_run)
