"""The wheel: built from a copy of the sources, installed into a fresh venv with runtime
dependencies only (from PyPI or pip's cache), it recognizes an example photo from another
directory, ships its models, and reports a missing model clearly.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
FORBIDDEN = ("tensorflow", "tensorflow-cpu", "keras", "tf2onnx", "onnx")
pytestmark = pytest.mark.slow


def run(cmd: list, cwd: Path, env: dict | None = None, timeout: int = 600):
    return subprocess.run(
        [str(c) for c in cmd], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout
    )


def example_photo() -> Path:
    """The README demo photo."""
    photo = REPO / "examples" / "note.jpg"
    assert photo.is_file(), f"{photo} is missing"
    return photo


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """A fresh venv with only the wheel and its runtime dependencies installed."""
    root = tmp_path_factory.mktemp("wheel")
    src = root / "src"
    src.mkdir()
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in ("hwr_edge", "models"):
        shutil.copytree(REPO / name, src / name, ignore=ignore)
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        if (REPO / name).exists():
            shutil.copy2(REPO / name, src / name)
    build = run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-w", root / "dist", src], root)
    assert build.returncode == 0, build.stderr[-3000:]
    (wheel,) = (root / "dist").glob("hwr_edge-*.whl")
    venv = root / "venv"
    made = run([sys.executable, "-m", "venv", venv], root)
    assert made.returncode == 0, made.stderr
    pip = run([venv / "bin" / "python", "-m", "pip", "install", "--quiet", wheel], root)
    assert pip.returncode == 0, pip.stderr[-3000:]
    return {"wheel": wheel, "venv": venv, "cwd": root}


def test_wheel_ships_runtime_and_models_only(installed):
    names = zipfile.ZipFile(installed["wheel"]).namelist()
    assert "hwr_edge/models/manifest.json" in names
    assert any(n.startswith("hwr_edge/models/") and n.endswith(".onnx") for n in names)
    assert "hwr_edge/cli.py" in names
    assert {"hwr_edge/lexicons/english.txt", "hwr_edge/lexicons/SCOWL-LICENSE.txt"} <= set(names)
    assert not any(n.startswith(("export/", "tests/")) for n in names)


def test_no_build_stage_packages_installed(installed):
    listing = run([installed["venv"] / "bin" / "python", "-m", "pip", "list"], installed["cwd"])
    packages = {line.split()[0].lower() for line in listing.stdout.splitlines()[2:] if line}
    assert {"numpy", "onnxruntime", "typer", "hwr-edge"} <= packages
    assert "opencv-python-headless" in packages
    assert not packages & set(FORBIDDEN)


def test_installed_cli_recognizes_an_example_from_elsewhere(installed):
    photo = example_photo()
    result = run([installed["venv"] / "bin" / "hwr-edge", "recognize", photo], installed["cwd"])
    assert result.returncode == 0, result.stderr
    assert sum(c.isalnum() for c in result.stdout) >= 10, result.stdout
    from hwr_edge.recognizer import Recognizer

    assert result.stdout == Recognizer().recognize(photo).text + "\n"
    models = run([installed["venv"] / "bin" / "hwr-edge", "models"], installed["cwd"])
    assert models.returncode == 0, models.stderr
    assert "OK" in models.stdout and str(installed["venv"]) in models.stdout


def test_installed_cli_reports_a_missing_model(installed, tmp_path):
    empty = tmp_path / "no-models"
    empty.mkdir()
    env = {"HWR_EDGE_MODELS": str(empty), "PATH": "/usr/bin:/bin"}
    cmd = [installed["venv"] / "bin" / "hwr-edge", "recognize", example_photo()]
    result = run(cmd, installed["cwd"], env=env)
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ")
    assert "manifest not found" in lines[0] and "Traceback" not in result.stderr
