"""Registry: models folder resolution, manifest, sha256 verification, listing."""

from __future__ import annotations

import json
import os

import pytest
from test_classifier import write_model, write_models_dir

from hwr_edge import registry
from hwr_edge.classifier import NOT_A_CHARACTER, TOUCHING_CHARACTERS, load_model
from hwr_edge.errors import ModelError

NAME = "tiny-test-fp32"


@pytest.fixture()
def models(tmp_path, monkeypatch):
    directory = write_models_dir(tmp_path / "models")
    monkeypatch.setenv("HWR_EDGE_MODELS", str(directory))
    return directory


def flip_byte(path, offset: int) -> None:
    """Invert one byte of a file in place, keeping its size."""
    data = bytearray(path.read_bytes())
    data[offset] ^= 0xFF
    path.write_bytes(bytes(data))


def test_env_var_wins(models):
    assert registry.models_dir() == models
    assert registry.read_manifest()["default"] == NAME


def test_env_var_pointing_nowhere_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv("HWR_EDGE_MODELS", str(tmp_path / "nope"))
    with pytest.raises(ModelError, match="HWR_EDGE_MODELS=.*no such directory"):
        registry.models_dir()


def test_empty_models_dir_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv("HWR_EDGE_MODELS", str(tmp_path))
    with pytest.raises(ModelError, match="manifest not found"):
        registry.resolve(None)


def test_checkout_fallback_is_the_repo_models_folder(monkeypatch):
    monkeypatch.delenv("HWR_EDGE_MODELS", raising=False)
    repo_models = registry.Path(registry.__file__).resolve().parents[1] / "models"
    if not (repo_models / "manifest.json").is_file():
        pytest.skip("no models/manifest.json in this checkout yet")
    assert registry.models_dir().resolve() == repo_models.resolve()


def test_resolve_name_default_and_path(models, tmp_path):
    by_default = registry.resolve(None)
    assert by_default.name == NAME and by_default.entry["name"] == NAME
    assert registry.resolve(NAME).path == models / f"{NAME}.onnx"
    loose = write_model(tmp_path / "loose.onnx")
    info = registry.resolve(str(loose))
    assert info.entry is None and info.path == loose and info.name == "loose"


def test_resolve_charset_default(models):
    manifest = json.loads((models / "manifest.json").read_text())
    manifest["default"] = "missing-name"
    manifest["defaults"] = {"digits": NAME}
    (models / "manifest.json").write_text(json.dumps(manifest))
    assert registry.resolve(None, charset="digits").name == NAME
    with pytest.raises(ModelError, match="unknown model 'missing-name'"):
        registry.resolve(None)


def test_unknown_name_lists_installed_models(models):
    with pytest.raises(ModelError, match=f"unknown model 'nope' \\(installed: {NAME}\\)"):
        registry.resolve("nope")


def test_missing_model_path_and_file(models, tmp_path):
    with pytest.raises(ModelError, match="model file not found"):
        registry.resolve(str(tmp_path / "absent.onnx"))
    (models / f"{NAME}.onnx").unlink()
    with pytest.raises(ModelError, match="model file missing"):
        registry.resolve(NAME)


def test_single_flipped_byte_is_caught(models):
    path = models / f"{NAME}.onnx"
    registry.verify(registry.resolve(NAME))
    before = os.stat(path)
    flip_byte(path, path.stat().st_size // 2)
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns + 1_000_000))
    with pytest.raises(ModelError, match="sha256 mismatch") as info:
        load_model(NAME)
    message = str(info.value)
    assert str(path) in message and "\n" not in message
    expected = json.loads((models / "manifest.json").read_text())["models"][0]["sha256"]
    assert expected[:12] in message


def test_truncated_model_reports_sizes(models):
    path = models / f"{NAME}.onnx"
    size = path.stat().st_size
    path.write_bytes(path.read_bytes()[: size // 2])
    with pytest.raises(ModelError, match=f"{size // 2} bytes instead of {size}"):
        load_model(NAME)


def test_verification_is_cached_per_size_and_mtime(models, monkeypatch):
    info = registry.resolve(NAME)
    registry.verify(info)
    calls = []
    real = registry.hashlib.sha256
    monkeypatch.setattr(registry.hashlib, "sha256", lambda *a: calls.append(1) or real(*a))
    registry.verify(info)
    registry.verify(info)
    assert calls == []
    os.utime(info.path, ns=(0, info.path.stat().st_mtime_ns + 5_000_000))
    registry.verify(info)
    assert calls == [1]


def test_list_models_counts_reject_classes_apart(tmp_path, monkeypatch):
    labels = ["0", "1", NOT_A_CHARACTER, TOUCHING_CHARACTERS]
    monkeypatch.setenv("HWR_EDGE_MODELS", str(write_models_dir(tmp_path / "m", labels)))
    row = registry.list_models()[0]
    assert (row["classes"], row["reject_classes"]) == (2, 2)


def test_list_models_reports_sha_status(models):
    rows = registry.list_models()
    assert [r["name"] for r in rows] == [NAME]
    row = rows[0]
    assert (row["classes"], row["reject_classes"]) == (4, 0)
    assert row["sha_ok"] is True and row["default"] is True
    assert row["bytes"] == (models / f"{NAME}.onnx").stat().st_size
    flip_byte(models / f"{NAME}.onnx", 40)
    os.utime(models / f"{NAME}.onnx", ns=(0, 123_000_000_000))
    assert registry.list_models()[0]["sha_ok"] is False


def test_bad_manifest_json(models):
    (models / "manifest.json").write_text("{not json")
    with pytest.raises(ModelError, match="unreadable model manifest"):
        registry.read_manifest()
    (models / "manifest.json").write_text('{"schema": 1}')
    with pytest.raises(ModelError, match="no 'models' list"):
        registry.read_manifest()
