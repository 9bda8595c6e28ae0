"""The ``hwr-edge`` CLI: recognize (text, JSON, annotate, save-crops, charset), models,
every bad input as a one-line error, help and version, and no build-stage imports."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zlib
from pathlib import Path

import cv2
import numpy as np
import pytest
from test_classifier import write_model
from test_imageio import huge_png, palette_png, png_chunk, with_exif
from typer.testing import CliRunner

import hwr_edge
from hwr_edge.classifier import NON_CHARACTERS
from hwr_edge.cli import app
from hwr_edge.crop_folders import folder_label
from hwr_edge.imageio import PNG_SIGNATURE
from hwr_edge.recognizer import Recognizer

REPO = Path(__file__).resolve().parents[1]
FORBIDDEN = {"tensorflow", "keras", "tf2onnx", "export", "onnx", "tf_keras"}
runner = CliRunner()


def cli(*args, env: dict | None = None):
    return runner.invoke(app, [str(a) for a in args], env=env)


@pytest.fixture(scope="module")
def photos(tmp_path_factory) -> dict[str, Path]:
    """Synthetic handwriting photos (two lines, one line), a blank page, and bad inputs."""
    from export.synth import make_page

    root = tmp_path_factory.mktemp("photos")
    two = make_page(np.random.default_rng(3), "clean", text=["HELLO 2024", "CAT DOG"])
    one = make_page(np.random.default_rng(4), "clean", text=["STOP 42"])
    cv2.imwrite(str(root / "two.jpg"), two.image, [cv2.IMWRITE_JPEG_QUALITY, 95])
    cv2.imwrite(str(root / "one.png"), one.image)
    cv2.imwrite(str(root / "blank.png"), np.full((300, 400, 3), 235, np.uint8))
    return bad_inputs(root) | {
        "two": root / "two.jpg",
        "one": root / "one.png",
        "blank": root / "blank.png",
    }


def bad_inputs(root: Path) -> dict[str, Path]:
    """One file (or path) per kind of bad input that issue 5 lists."""
    noisy = np.random.default_rng(0).integers(0, 256, (80, 80, 3), dtype=np.uint8)
    png = cv2.imencode(".png", noisy)[1].tobytes()
    jpg = cv2.imencode(".jpg", noisy)[1].tobytes()
    (root / "empty.png").touch()
    (root / "text.png").write_text("hello, I am not a picture\n")
    (root / "cut.png").write_bytes(png[: len(png) // 2])
    (root / "cut.jpg").write_bytes(jpg[: len(jpg) * 3 // 4])
    (root / "bomb.png").write_bytes(huge_png(30000, 30000))
    (root / "folder.png").mkdir()
    (root / "IMG_0001.HEIC").write_bytes(b"\0\0\0\x18ftypheic\0\0\0\0mif1heic" + bytes(200))
    (root / "scan.pdf").write_bytes(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n")
    return {
        "missing": root / "missing.jpg",
        "directory": root / "folder.png",
        "empty": root / "empty.png",
        "text": root / "text.png",
        "truncated_png": root / "cut.png",
        "truncated_jpeg": root / "cut.jpg",
        "bomb": root / "bomb.png",
        "heic": root / "IMG_0001.HEIC",
        "pdf": root / "scan.pdf",
    }


BAD = {
    "missing": "no such file",
    "directory": "is a directory",
    "empty": "empty file",
    "text": "not an image",
    "truncated_png": "truncated PNG",
    "truncated_jpeg": "truncated JPEG",
    "bomb": "30000x30000 pixels exceeds the limit",
    "heic": "a HEIC photo, which OpenCV cannot decode: convert it to JPEG",
    "pdf": "a PDF, not an image",
}


def one_error_line(stderr: str, expected: str) -> None:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("error: ") and expected in lines[0], lines[0]
    assert "Traceback" not in stderr


def test_version():
    result = cli("--version")
    assert result.exit_code == 0
    assert result.stdout.strip() == f"hwr-edge {hwr_edge.__version__}"
    pyproject = (REPO / "pyproject.toml").read_text()
    assert f'version = "{hwr_edge.__version__}"' in pyproject


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ([], ["recognize", "models", "stream", "bench", "--version"]),
        (["recognize"], ["--model", "--charset", "--format", "--annotate", "--threads"]),
        (["recognize"], ["--save-crops", "--reject-threshold", "--reject-char", "--context"]),
        (["recognize"], ["DIR/LABEL/ (a folder per predicted character)"]),  # no markup eaten
        (["models"], ["sha256"]),
        (["stream"], ["--source"]),
        (["bench"], ["Usage"]),
    ],
)
def test_help(command, expected):
    result = runner.invoke(app, [*command, "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "Usage" in result.stdout
    for word in expected:
        assert word in result.stdout, word


def test_recognize_text_matches_the_library(photos):
    result = cli("recognize", photos["two"])
    assert result.exit_code == 0, result.stderr
    expected = Recognizer().recognize(photos["two"]).text
    assert result.stdout == expected + "\n"
    lines = result.stdout.splitlines()
    assert len(lines) == 2
    assert [len(line.split(" ")) for line in lines] == [2, 2]


def test_the_json_model_block_names_the_digit_model_unless_it_is_turned_off(photos):
    names = []
    for flag in ("--digit-opinion", "--no-digit-opinion"):
        result = cli("recognize", "--format", "json", flag, photos["one"])
        assert result.exit_code == 0, result.stderr
        names.append(json.loads(result.stdout)["model"].get("digit_model"))
    assert names == ["lenet5-mnist-int8", None]


def test_json_schema(photos):
    result = cli("recognize", "--format", "json", photos["two"], photos["one"])
    assert result.exit_code == 0, result.stderr
    objects = [json.loads(line) for line in result.stdout.splitlines()]
    assert [o["image"] for o in objects] == [str(photos["two"]), str(photos["one"])]
    for obj, path in zip(objects, (photos["two"], photos["one"]), strict=True):
        height, width = cv2.imread(str(path)).shape[:2]
        assert set(obj) == {"image", "text", "lines", "timings_ms", "model"}
        assert set(obj["timings_ms"]) >= {"load", "preprocess", "segment", "infer", "total"}
        assert all(isinstance(v, float) and v >= 0 for v in obj["timings_ms"].values())
        assert {"name", "path", "arch", "dataset", "precision", "accuracy", "sha256"} <= set(
            obj["model"]
        )
        assert obj["text"] == "\n".join(line["text"] for line in obj["lines"])
        assert obj["lines"], "no line recognized"
        for line in obj["lines"]:
            assert set(line) == {"text", "box", "words"}
            assert line["text"] == " ".join(w["text"] for w in line["words"])
            check_box(line["box"], width, height)
            for word in line["words"]:
                assert set(word) == {"text", "box", "chars"}
                assert word["text"] == "".join(c["char"] for c in word["chars"])
                for char in word["chars"]:
                    assert set(char) == {"char", "confidence", "box", "alternatives"}
                    assert isinstance(char["char"], str) and len(char["char"]) == 1
                    assert 0.0 <= char["confidence"] <= 1.0
                    check_box(char["box"], width, height)
                    assert all(len(a) == 2 and isinstance(a[0], str) for a in char["alternatives"])


def check_box(box, width: int, height: int) -> None:
    assert len(box) == 4 and all(isinstance(v, int) for v in box)
    x, y, w, h = box
    assert w > 0 and h > 0 and x >= 0 and y >= 0 and x + w <= width and y + h <= height


@pytest.mark.parametrize("kind", sorted(BAD))
def test_each_bad_input_is_one_error_line(photos, kind):
    result = cli("recognize", photos[kind])
    assert result.exit_code == 1
    assert result.stdout == ""
    one_error_line(result.stderr, BAD[kind])
    assert str(photos[kind]) in result.stderr


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_unreadable_file(photos, tmp_path):
    path = tmp_path / "locked.png"
    shutil.copy(photos["one"], path)
    path.chmod(0)
    result = cli("recognize", path)
    assert result.exit_code == 1
    one_error_line(result.stderr, "permission denied")


def test_bad_image_in_the_middle_does_not_stop_the_others(photos):
    result = cli("recognize", photos["two"], photos["truncated_jpeg"], photos["one"])
    assert result.exit_code == 1
    one_error_line(result.stderr, "truncated JPEG")
    out = result.stdout
    assert out.startswith(f"==> {photos['two']} <==\n")
    assert f"\n\n==> {photos['one']} <==\n" in out
    assert str(photos["truncated_jpeg"]) not in out
    assert out.rstrip("\n").endswith(Recognizer().recognize(photos["one"]).text)


def test_all_bad_inputs_at_once_report_one_line_each(photos):
    result = cli("recognize", *(photos[k] for k in sorted(BAD)), photos["one"])
    assert result.exit_code == 1
    errors = result.stderr.strip().splitlines()
    assert len(errors) == len(BAD)
    for line, kind in zip(errors, sorted(BAD), strict=True):
        assert line.startswith("error: ") and BAD[kind] in line
    assert f"==> {photos['one']} <==" in result.stdout


def test_a_photo_of_noise_is_one_error_line_and_the_next_photo_is_read(photos, tmp_path):
    # a 12 MP frame of noise or texture: far more marks of ink than any page of handwriting,
    # which took minutes and ran out of memory before (a 144,000 x 144,000 pair table)
    noise = np.random.default_rng(0).integers(0, 256, (3024, 4032, 3), dtype=np.uint8)
    path = tmp_path / "noise.png"
    cv2.imwrite(str(path), noise)
    result = cli("recognize", path, photos["one"])
    assert result.exit_code == 1
    one_error_line(result.stderr, f"{path}: ")
    assert "separate marks of ink" in result.stderr
    assert f"==> {photos['one']} <==" in result.stdout


def test_a_photo_of_texture_is_one_error_line_and_the_next_photo_is_read(photos, tmp_path):
    # a webcam frame of a carpet: fewer marks than the bound, but in no direction (texture.py)
    noise = np.random.default_rng(0).normal(128, 60, (480, 640)).astype(np.float32)
    path = tmp_path / "carpet.png"
    cv2.imwrite(str(path), np.clip(cv2.GaussianBlur(noise, (0, 0), 1.5), 0, 255).astype(np.uint8))
    result = cli("recognize", path, photos["one"])
    assert result.exit_code == 1
    one_error_line(result.stderr, f"{path}: ")
    assert "marks of ink that lie along no line or grid" in result.stderr
    assert f"==> {photos['one']} <==" in result.stdout


@pytest.mark.parametrize("options", [[], ["--charset", "digits"], ["--charset", "ABC"]])
def test_blank_page_is_empty_text_and_success(photos, options):
    result = cli("recognize", *options, photos["blank"])
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "" and result.stderr == ""
    result = cli("recognize", *options, "--format", "json", photos["blank"])
    obj = json.loads(result.stdout)
    assert obj["text"] == "" and obj["lines"] == []


def test_annotate_one_image(photos, tmp_path):
    out = tmp_path / "annotated.png"
    result = cli("recognize", photos["two"], "--annotate", out)
    assert result.exit_code == 0, result.stderr
    drawn = cv2.imread(str(out))
    original = cv2.imread(str(photos["two"]))
    assert drawn.shape == original.shape
    assert np.count_nonzero(np.abs(drawn.astype(int) - original).sum(axis=2) > 60) > 200


def test_annotate_several_images_into_a_folder(photos, tmp_path):
    out = tmp_path / "ann"
    result = cli("recognize", photos["two"], photos["one"], "--annotate", out)
    assert result.exit_code == 0, result.stderr
    assert sorted(p.name for p in out.iterdir()) == ["one.annotated.png", "two.annotated.png"]


def test_annotate_refuses_an_unknown_image_type(photos, tmp_path):
    result = cli("recognize", photos["one"], "--annotate", tmp_path / "out.xyz")
    assert result.exit_code == 1
    one_error_line(result.stderr, "unsupported image type")


def test_save_crops(photos, tmp_path):
    root = tmp_path / "crops"
    result = cli("recognize", photos["two"], "--save-crops", root, "--format", "json")
    assert result.exit_code == 0, result.stderr
    chars = [
        c["char"]
        for line in json.loads(result.stdout)["lines"]
        for w in line["words"]
        for c in w["chars"]
    ]
    files = sorted(root.glob("*/*.png"))
    assert len(files) == len(chars)
    assert sorted(folder_label(p.parent.name) for p in files) == sorted(chars)
    for path in files:
        crop = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
        assert crop.shape == (28, 28) and crop.dtype == np.uint8 and crop.max() > 100


def test_charset_digits_and_reject(photos):
    result = cli("recognize", photos["two"], "--charset", "digits", "--reject-char", "#")
    assert result.exit_code == 0, result.stderr
    assert set(result.stdout) <= set("0123456789# \n")


def test_reject_threshold_marks_low_confidence(photos):
    result = cli(
        "recognize",
        photos["two"],
        *("-f", "json", "--reject-threshold", "0.9", "--reject-char", "#", "--lexicon", "none"),
    )
    chars = [
        c for line in json.loads(result.stdout)["lines"] for w in line["words"] for c in w["chars"]
    ]
    assert chars
    for c in chars:
        assert (c["char"] == "#") == (c["alternatives"][0][1] < 0.9)


def test_charset_without_overlap_is_an_error(photos):
    result = cli("recognize", photos["one"], "--charset", "!@#")
    assert result.exit_code == 1
    one_error_line(result.stderr, "allows none of the model's classes")


def test_lexicon_none_a_word_file_and_an_unreadable_one(photos, tmp_path):
    assert cli("recognize", photos["two"], "--lexicon", "none").stdout == "HELLO 2024\nCAT DOG\n"
    words = tmp_path / "words.txt"
    words.write_text("hello\n", encoding="utf-8")
    assert cli("recognize", photos["two"], "--lexicon", words).exit_code == 0
    result = cli("recognize", photos["two"], "--lexicon", tmp_path / "missing.txt")
    assert result.exit_code == 1
    one_error_line(result.stderr, "cannot read lexicon")


def test_bad_option_values_are_usage_errors(photos):
    assert cli("recognize", photos["one"], "--threads", "0").exit_code == 2
    assert cli("recognize", photos["one"], "--format", "xml").exit_code == 2
    assert cli("recognize", photos["one"], "--reject-threshold", "2").exit_code == 2


def copy_models(tmp_path: Path) -> Path:
    models = tmp_path / "models"
    shutil.copytree(REPO / "models", models, ignore=shutil.ignore_patterns("__*"))
    return models


def test_corrupt_model_is_refused(photos, tmp_path):
    models = copy_models(tmp_path)
    default = json.loads((models / "manifest.json").read_text())["default"]
    path = next(models.glob(f"{default}.onnx"))
    data = bytearray(path.read_bytes())
    data[len(data) // 3] ^= 0x01
    path.write_bytes(bytes(data))
    env = {"HWR_EDGE_MODELS": str(models)}
    result = cli("recognize", photos["one"], photos["two"], env=env)
    assert result.exit_code == 1 and result.stdout == ""
    one_error_line(result.stderr, "sha256 mismatch")
    listing = cli("models", env=env)
    assert listing.exit_code == 1
    assert "FAILED" in listing.stdout


def test_mismatched_and_garbage_model_files(photos, tmp_path):
    mismatched = write_model(tmp_path / "mismatched.onnx", ["A", "B", "C", "D"], n_outputs=6)
    result = cli("recognize", photos["one"], "--model", mismatched)
    assert result.exit_code == 1
    one_error_line(result.stderr, "6 outputs but 4 labels")
    garbage = tmp_path / "garbage.onnx"
    garbage.write_bytes(os.urandom(2000))
    result = cli("recognize", photos["one"], "--model", garbage)
    assert result.exit_code == 1
    one_error_line(result.stderr, "not a valid ONNX model")


def test_missing_models(photos, tmp_path):
    result = cli("recognize", photos["one"], env={"HWR_EDGE_MODELS": str(tmp_path)})
    assert result.exit_code == 1
    one_error_line(result.stderr, "manifest not found")
    result = cli("recognize", photos["one"], "--model", "no-such-model")
    assert result.exit_code == 1
    one_error_line(result.stderr, "unknown model 'no-such-model'")


def test_models_lists_the_manifest():
    result = cli("models")
    assert result.exit_code == 0, result.stderr
    manifest = json.loads((REPO / "models" / "manifest.json").read_text())
    for entry in manifest["models"]:
        row = next(line for line in result.stdout.splitlines() if line.startswith(entry["name"]))
        rejects = sum(label in NON_CHARACTERS for label in entry["labels"])
        shown = f"{len(entry['labels']) - rejects}+{rejects}" if rejects else len(entry["labels"])
        assert str(shown) in row.split() and "OK" in row.split()
    rows = [json.loads(line) for line in cli("models", "-f", "json").stdout.splitlines()]
    assert [r["name"] for r in rows] == [e["name"] for e in manifest["models"]]
    roles = {
        line.split()[0]: line.split("OK", 1)[1].strip() for line in result.stdout.splitlines()[1:-1]
    }
    assert roles[manifest["default"]] == "default"
    assert roles[manifest["defaults"]["digits"]] == "--charset digits, digit opinion"
    assert {r["name"]: r["default_for"] for r in rows}[manifest["defaults"]["digits"]] == ["digits"]


def test_recognition_process_imports_no_build_stage(photos, tmp_path):
    """A whole `hwr-edge recognize` process loads none of TensorFlow, Keras, tf2onnx, export."""
    probe = (
        "import atexit, sys\n"
        "atexit.register(lambda: print('LOADED', sorted({m.split('.')[0] for m in sys.modules}"
        f" & set({sorted(FORBIDDEN)!r})), file=sys.stderr))\n"
        "from hwr_edge.cli import main\n"
        f"sys.argv = ['hwr-edge', 'recognize', {str(photos['two'])!r}, '-f', 'json']\n"
        "main()\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "HWR_EDGE_MODELS"}
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=tmp_path, capture_output=True, text=True, env=env
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["lines"]
    assert "LOADED []" in result.stderr


def hwr_edge_process(*args, cwd: Path):
    """Run ``python -m hwr_edge`` as a separate process (native stderr included)."""
    cmd = [sys.executable, "-m", "hwr_edge", *(str(a) for a in args)]
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)


def test_python_dash_m_reports_errors_without_traceback(photos, tmp_path):
    result = hwr_edge_process("recognize", photos["text"], photos["one"], cwd=tmp_path)
    assert result.returncode == 1
    one_error_line(result.stderr, "not an image")
    assert result.stdout.count("==>") == 1


def test_libpng_message_joins_the_one_error_line(tmp_path):
    """A PNG whose headers are fine but whose pixel data is short: libpng's own stderr
    message must not appear as a second line."""
    data = (
        PNG_SIGNATURE
        + png_chunk(b"IHDR", (20).to_bytes(4, "big") * 2 + bytes([8, 0, 0, 0, 0]))
        + png_chunk(b"IDAT", zlib.compress(b"\x07" * 5))
        + png_chunk(b"IEND", b"")
    )
    path = tmp_path / "broken.png"
    path.write_bytes(data)
    result = hwr_edge_process("recognize", path, cwd=tmp_path)
    assert result.returncode == 1
    one_error_line(result.stderr, "broken.png: corrupt PNG")
    assert "libpng" in result.stderr


def test_libjpeg_warning_becomes_one_warning_line(photos, tmp_path):
    data = bytearray(photos["two"].read_bytes())
    eoi = len(data) - 2
    data[eoi - 3000 : eoi] = bytes(3000)
    path = tmp_path / "damaged.jpg"
    path.write_bytes(bytes(data))
    result = hwr_edge_process("recognize", path, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"warning: {path}: Corrupt JPEG data")


def test_16bit_rgba_palette_and_exif_photos_read_like_the_original(photos, tmp_path):
    original = cv2.imread(str(photos["two"]))
    gray = cv2.cvtColor(original, cv2.COLOR_BGR2GRAY)
    expected = Recognizer().recognize(original).text
    expected_gray = Recognizer().recognize(gray).text
    # a transparent border is composited over white: the same page with a white border
    white = cv2.copyMakeBorder(original, 30, 30, 30, 30, cv2.BORDER_CONSTANT, value=(255,) * 3)
    expected_alpha = Recognizer().recognize(white).text
    assert expected
    cv2.imwrite(str(tmp_path / "deep.png"), original.astype(np.uint16) * 257)
    bgra = np.dstack([original, np.full(original.shape[:2], 255, np.uint8)])
    bgra = cv2.copyMakeBorder(bgra, 30, 30, 30, 30, cv2.BORDER_CONSTANT, value=(0, 0, 0, 0))
    cv2.imwrite(str(tmp_path / "alpha.png"), bgra)
    ramp = [(v, v, v) for v in range(256)]
    (tmp_path / "palette.png").write_bytes(palette_png(gray, ramp))
    stored = np.ascontiguousarray(np.rot90(original, 1))  # EXIF 6: display rotated 90 CW
    jpeg = cv2.imencode(".jpg", stored, [cv2.IMWRITE_JPEG_QUALITY, 98])[1].tobytes()
    (tmp_path / "phone.jpg").write_bytes(with_exif(jpeg, 6))
    # the JPEG's own pixels, turned upright by hand: what honouring EXIF 6 must give
    decoded = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
    expected_phone = Recognizer().recognize(np.ascontiguousarray(np.rot90(decoded, -1))).text
    names = ["deep.png", "alpha.png", "palette.png", "phone.jpg"]
    result = cli("recognize", "-f", "json", *(tmp_path / n for n in names))
    assert result.exit_code == 0, result.stderr
    texts = {Path(o["image"]).name: o["text"] for o in map(json.loads, result.stdout.splitlines())}
    assert texts["deep.png"] == expected
    assert texts["alpha.png"] == expected_alpha
    assert texts["palette.png"] == expected_gray
    assert texts["phone.jpg"] == expected_phone


def test_reject_char_must_be_one_character(photos):
    for bad in ("", "??"):
        result = cli("recognize", photos["one"], "--reject-char", bad)
        assert result.exit_code == 1
        one_error_line(result.stderr, "--reject-char must be one character")


def test_header_spacing_when_the_first_image_fails(photos):
    result = cli("recognize", photos["missing"], photos["one"])
    assert result.exit_code == 1
    assert result.stdout.startswith(f"==> {photos['one']} <==\n")


def test_annotate_colours_by_confidence():
    from hwr_edge.annotate import CHAR_COLOR, LINE_COLOR, LOW_COLOR, REJECT_COLOR, annotate
    from hwr_edge.results import Char, Line, Page, Word

    chars = [
        Char("A", 0.99, (20, 40, 30, 40)),
        Char("B", 0.30, (70, 40, 30, 40)),
        Char("?", 0.10, (120, 40, 30, 40)),
    ]
    page = Page([Line([Word(chars)])])
    image = np.full((120, 200, 3), 255, np.uint8)
    out = annotate(image, page, low_confidence=0.5, reject_char="?")
    assert np.array_equal(image, np.full((120, 200, 3), 255, np.uint8)), "input was modified"
    for char, colour in zip(chars, (CHAR_COLOR, LOW_COLOR, REJECT_COLOR), strict=True):
        x, y, w, h = char.box
        assert tuple(out[y + h // 2, x]) == colour  # left edge of the box
    line_x, line_y, _, line_h = page.lines[0].box
    assert tuple(out[line_y + line_h // 2, line_x - 2]) == LINE_COLOR


def test_a_large_sideways_jpeg_on_a_desk_reads_like_its_upright_pixels(photos, tmp_path):
    # a 6 MP phone shot stored sideways (EXIF 6) with a desk beside the paper: decoded as
    # luma plus a small colour copy (imageio.load_photo), it must read like the full colour
    # image, with boxes in the upright photo's pixels. Were the colour copy left sideways,
    # the desk would land across the text.
    page = cv2.imread(str(photos["two"]))  # 700 x 577
    desk = np.full((page.shape[0], 1556, 3), (40, 70, 110), np.uint8)
    desk[:, : page.shape[1]] = page  # the paper on the left 45%, the desk on the right
    width, height = 4032, round(4032 * desk.shape[0] / desk.shape[1])
    upright = cv2.resize(desk, (width, height), interpolation=cv2.INTER_LINEAR)
    stored = np.ascontiguousarray(np.rot90(upright, 1))
    jpeg = cv2.imencode(".jpg", stored, [cv2.IMWRITE_JPEG_QUALITY, 92])[1].tobytes()
    path = tmp_path / "phone6mp.jpg"
    path.write_bytes(with_exif(jpeg, 6))
    decoded = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
    expected = Recognizer().recognize(np.ascontiguousarray(np.rot90(decoded, -1))).text
    result = cli("recognize", "-f", "json", path)
    assert result.exit_code == 0, result.stderr
    obj = json.loads(result.stdout)
    assert obj["text"] == expected and len(expected.split()) == 4
    for line in obj["lines"]:
        check_box(line["box"], width, height)
        assert line["box"][0] + line["box"][2] < 0.45 * width  # on the paper


def test_threads_caps_opencv_too(photos):
    before = cv2.getNumThreads()
    cv2.setNumThreads(3)
    try:
        assert cli("recognize", "--threads", "1", photos["one"]).exit_code == 0
        assert cv2.getNumThreads() == 1
    finally:
        cv2.setNumThreads(before)
