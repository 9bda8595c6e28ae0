"""The ``hwr-edge`` command line: recognize, models, stream, bench.

Imports stay light (typer only) so that the process starts fast; OpenCV, numpy and
onnxruntime load when a command needs them.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from contextlib import contextmanager
from enum import Enum
from pathlib import Path

import typer

from hwr_edge import __version__, defaults
from hwr_edge.bench import bench_command
from hwr_edge.errors import HwrError
from hwr_edge.stream import stream_command

app = typer.Typer(
    name="hwr-edge",
    help="Read handwriting (block letters and digits) from photos on small CPUs.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="markdown",
    context_settings={"help_option_names": ["-h", "--help"]},
)


class Format(str, Enum):
    text = "text"
    json = "json"


def _version(value: bool) -> None:
    if value:
        typer.echo(f"hwr-edge {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """Read handwriting (block letters and digits) from photos on small CPUs."""


def error(message: str) -> None:
    """Print a one-line ``error: ...`` on stderr."""
    text = " ".join(str(message).split())
    typer.echo(f"error: {text}", err=True)


@app.command()
def recognize(
    images: list[Path] = typer.Argument(
        ..., help="Photos to read (JPEG, PNG, ...).", metavar="IMAGE"
    ),
    model: str | None = typer.Option(
        None, "--model", "-m", help="Model name (see 'hwr-edge models') or path to an .onnx file."
    ),
    charset: str | None = typer.Option(
        None,
        "--charset",
        "-c",
        help="Allowed characters: digits, letters, upper, lower, alnum, or the characters "
        'themselves (e.g. "0123456789+-").',
    ),
    fmt: Format = typer.Option(
        Format.text,
        "--format",
        "-f",
        help="text: one output line per text line; json: one JSON object per image per line.",
    ),
    annotate: Path | None = typer.Option(
        None,
        "--annotate",
        "-a",
        help="Write the image with boxes and labels here (an image file, or a folder when "
        "several images are given).",
    ),
    threads: int | None = typer.Option(
        None,
        "--threads",
        "-t",
        min=1,
        help="CPU threads for inference and image processing (default: all cores).",
    ),
    save_crops: Path | None = typer.Option(
        None,
        "--save-crops",
        help="Save each character's 28x28 crop as a PNG in DIR/LABEL/ (a folder per predicted "
        "character), ready to be corrected and used for fine-tuning.",
    ),
    reject_threshold: float = typer.Option(
        defaults.REJECT_THRESHOLD,
        "--reject-threshold",
        min=0.0,
        max=1.0,
        help="Characters below this confidence are printed as the reject character (with "
        "--lexicon, unless a word of the lexicon fills it).",
    ),
    reject_char: str = typer.Option(
        defaults.REJECT_CHAR,
        "--reject-char",
        help="What an unreadable or unknown symbol is printed as.",
    ),
    context: bool = typer.Option(
        defaults.CONTEXT,
        "--context/--no-context",
        help="Read each word as letters, digits or a code (O/0, I/1, G/6, ...), in one case.",
    ),
    lexicon: str = typer.Option(
        defaults.LEXICON,
        "--lexicon",
        help="Words of letters not in this lexicon become the word of it they nearly are "
        '("HOVSE" -> "HOUSE"): english (bundled), a file of one word per line, or none. '
        "Needs --context.",
    ),
    digit_opinion: bool = typer.Option(
        defaults.DIGIT_OPINION,
        "--digit-opinion/--no-digit-opinion",
        help="Ask the digits model too which digit a character read as one is (models that "
        "read letters and digits).",
    ),
) -> None:
    """Read the handwriting in one or more photos and print it as text or JSON.

    Text output has one line per line of handwriting, words separated by single spaces;
    with several images each gets a "==> path <==" header. A bad image is reported on
    stderr and the others are still read; the exit code is 1 if any image failed.
    """
    recognizer_options = {
        "model": model,
        "charset": charset,
        "threads": threads,
        "reject_threshold": reject_threshold,
        "reject_char": reject_char,
        "context": context,
        "lexicon": lexicon,
        "digit_opinion": digit_opinion,
    }
    code = run_recognize(
        images, recognizer_options, fmt is Format.json, annotate, save_crops, reject_char
    )
    raise typer.Exit(code)


def run_recognize(
    images: list[Path],
    recognizer_options: dict,
    as_json: bool,
    annotate: Path | None,
    save_crops: Path | None,
    reject_char: str,
) -> int:
    """Recognize each image, print its text or JSON, write the extras; 1 if any image failed."""
    try:
        if len(reject_char) != 1:
            raise HwrError(f"--reject-char must be one character, not {reject_char!r}")
        stems = unique_stems(images)
        annotate_paths = plan_annotations(images, stems, annotate) if annotate else {}
        if save_crops is not None:
            _make_dir(save_crops, "--save-crops")
        from hwr_edge.recognizer import Recognizer

        if recognizer_options["threads"] is not None:
            import cv2

            cv2.setNumThreads(recognizer_options["threads"])  # this process is ours to cap
        recognizer = Recognizer(**recognizer_options)
        recognizer.classifier  # noqa: B018  (load the model now: one error, not one per image)
    except HwrError as exc:
        error(str(exc))
        return 1
    failed = printed = 0
    for index, path in enumerate(images):
        try:
            page, crops = recognize_one(recognizer, path)
        except HwrError as exc:
            error(str(exc))
            failed += 1
            continue
        print_page(page, str(path), as_json, header=len(images) > 1, first=printed == 0)
        printed += 1
        try:
            if annotate:
                write_annotation(path, page, annotate_paths[index], reject_char)
            if save_crops is not None:
                write_crops(page, crops, save_crops, stems[index])
        except HwrError as exc:
            error(str(exc))
            failed += 1
    return 1 if failed else 0


def recognize_one(recognizer, path: Path):
    """Recognize one image; what C libraries print on stderr joins the error or a warning."""
    with native_stderr() as noise:
        try:
            result = recognizer.recognize_with_crops(path, name=str(path))
        except HwrError as exc:
            failure = str(exc)
        except Exception as exc:  # a bug must still not end the run with a traceback
            failure = f"{path}: internal error ({type(exc).__name__}: {exc})"
        else:
            failure = None
    detail = " ".join(noise[0].split())[:300]
    if failure is not None:
        raise HwrError(f"{failure} ({detail})" if detail else failure)
    if detail:
        typer.echo(f"warning: {path}: {detail}", err=True)
    return result


@contextmanager
def native_stderr():
    """Collect what native code (libpng, libjpeg) writes to file descriptor 2 in the block."""
    sys.stderr.flush()
    saved = os.dup(2)
    collected: list[str] = []
    with tempfile.TemporaryFile() as sink:
        os.dup2(sink.fileno(), 2)
        try:
            yield collected
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            sink.seek(0)
            collected.append(sink.read().decode("utf-8", "replace"))


def print_page(page, name: str, as_json: bool, header: bool, first: bool) -> None:
    """Write one page's result to stdout: text lines (with a header) or one JSON line."""
    if as_json:
        typer.echo(json.dumps(page.to_dict(), ensure_ascii=False))
        return
    if header:
        typer.echo(f"{'' if first else chr(10)}==> {name} <==")
    if page.lines:
        typer.echo(page.text)


def unique_stems(images: list[Path]) -> list[str]:
    """File stems for per-image outputs, numbered when two inputs share a stem."""
    stems = [p.stem or "image" for p in images]
    return [s if stems.count(s) == 1 else f"{s}-{i + 1}" for i, s in enumerate(stems)]


def plan_annotations(images: list[Path], stems: list[str], target: Path) -> dict[int, Path]:
    """Where each annotated image goes: ``target`` itself for one image, else a folder."""
    import cv2

    if len(images) == 1 and target.suffix and not target.is_dir():
        if not cv2.haveImageWriter(str(target)):
            raise HwrError(f"--annotate {target}: unsupported image type {target.suffix!r}")
        _make_dir(target.parent, "--annotate")
        return {0: target}
    if target.exists() and not target.is_dir():
        raise HwrError(f"--annotate {target}: must be a folder when several images are given")
    _make_dir(target, "--annotate")
    return {i: target / f"{stem}.annotated.png" for i, stem in enumerate(stems)}


def write_annotation(image: Path, page, out: Path, reject_char: str) -> None:
    """Draw ``page`` on its image and save it to ``out``."""
    import cv2

    from hwr_edge.annotate import annotate
    from hwr_edge.imageio import load_image

    drawn = annotate(load_image(image), page, reject_char=reject_char)
    if not cv2.imwrite(str(out), drawn):
        raise HwrError(f"--annotate {out}: cannot write the annotated image")


def write_crops(page, crops: list, root: Path, stem: str) -> None:
    """Save each character's 28x28 crop as ``root/<label folder>/<stem>_<index>.png``."""
    import cv2

    from hwr_edge.crop_folders import label_folder

    if len(crops) != len(page.chars):
        raise HwrError(f"{page.image}: {len(crops)} crops for {len(page.chars)} characters")
    for index, (char, crop) in enumerate(zip(page.chars, crops, strict=True)):
        folder = root / label_folder(char.char)
        _make_dir(folder, "--save-crops")
        out = folder / f"{stem}_{index:04d}.png"
        if not cv2.imwrite(str(out), crop):
            raise HwrError(f"--save-crops {out}: cannot write the crop")


def _make_dir(path: Path, option: str) -> None:
    """Create an output folder, reporting failure as an ``HwrError``."""
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise HwrError(f"{option} {path}: cannot create folder ({exc.strerror or exc})") from None


@app.command()
def models(
    fmt: Format = typer.Option(
        Format.text, "--format", "-f", help="text: a table; json: one JSON object per model."
    ),
) -> None:
    """List the installed models: name, classes (characters, +N classes that reject), size,
    accuracy and sha256 check."""
    from hwr_edge.registry import list_models, models_dir

    rows = list_models()
    if fmt is Format.json:
        for row in rows:
            typer.echo(json.dumps(row))
    else:
        typer.echo(format_models(rows, models_dir()))
    if not all(row["sha_ok"] for row in rows):
        error("some model files are missing or fail their sha256 check")
        raise typer.Exit(1)


def _roles(row: dict) -> str:
    """What a ``list_models()`` row's model is used for by default: "default", or the
    charsets it is the default for ("--charset digits, digit opinion": the digits default
    also gives the default model its second opinion on digits); empty for none."""
    if row["default"]:
        return "default"
    roles = [f"--charset {charset}" for charset in row["default_for"]]
    if "digits" in row["default_for"]:
        roles.append("digit opinion")
    return ", ".join(roles)


def format_models(rows: list[dict], directory: Path) -> str:
    """A plain-text table of ``list_models()`` rows."""
    header = ["name", "classes", "size", "accuracy", "sha256", ""]
    table = [header]
    for row in rows:
        size = f"{row['bytes'] / 1024:.0f} KB" if row["bytes"] is not None else "missing"
        acc = f"{row['accuracy']:.4f}" if isinstance(row["accuracy"], int | float) else "-"
        sha = "OK" if row["sha_ok"] else "FAILED"
        rejects = row["reject_classes"]
        classes = f"{row['classes']}+{rejects}" if rejects else str(row["classes"])
        table.append([row["name"], classes, size, acc, sha, _roles(row)])
    widths = [max(len(r[i]) for r in table) for i in range(len(header))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in table]
    return "\n".join([*lines, f"({len(rows)} models in {directory})"])


app.command("stream")(stream_command)
app.command("bench")(bench_command)


def main() -> None:
    """Console-script entry point: runs the app, turning ``HwrError`` into ``error: ...``."""
    try:
        app()
    except HwrError as exc:
        error(str(exc))
        sys.exit(1)
    except KeyboardInterrupt:
        sys.exit(130)
