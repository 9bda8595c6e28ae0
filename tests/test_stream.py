"""Tests for ``hwr-edge stream``: temporal vote, sources, the pipeline and the CLI path.

Run as a script, this file also writes benchmark videos (see docs/results-stream.md):
    python tests/test_stream.py video.mp4 --chars 20 --size 640x480 --frames 300
"""

from __future__ import annotations

import argparse
import io
import json
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import cv2
import numpy as np
import pytest

from hwr_edge.errors import HwrError, PageError, SourceError
from hwr_edge.results import Char, Line, Page, Word
from hwr_edge.stabilize import Stabilizer
from hwr_edge.stream import (
    Source,
    StreamConfig,
    Timings,
    _Pipeline,
    _summary,
    parse_source,
    run_stream,
)

REPO = Path(__file__).resolve().parents[1]
BENCH_ALPHABET = "ACEFHKLMNPRTUVWXY234579"  # block capitals and digits that look unlike others


def page_of(text: str) -> Page:
    """A Page whose lines and words spell ``text`` (newlines split lines, spaces words)."""
    lines = []
    for row, line_text in enumerate(text.split("\n")):
        words = []
        x = 0
        for word_text in line_text.split():
            chars = []
            for ch in word_text:
                chars.append(Char(ch, 0.9, (x, 40 * row, 20, 30)))
                x += 24
            words.append(Word(chars))
            x += 24
        lines.append(Line(words))
    return Page([line for line in lines if line.words])


def stable_updates(texts: list[str], window: int) -> list[tuple[int, str]]:
    stabilizer = Stabilizer(window)
    updates = []
    for i, text in enumerate(texts):
        lines = stabilizer.update(page_of(text))
        if lines is not None:
            updates.append((i, "\n".join(line.text for line in lines)))
    return updates


# ---------------------------------------------------------------- temporal vote


def test_static_noisy_scene_is_reported_once():
    texts = ["HELLO 42"] * 30
    for i in (3, 4, 11, 17, 18, 25):  # misreads, never 3 in a window of 5
        texts[i] = "HELL0 42" if i % 2 else "HELLO 4"
    texts[20] = "HELLO 42\nX"  # a speck read as a second line
    texts[21] = "HELLO42"  # two words merged
    assert stable_updates(texts, 5) == [(2, "HELLO 42")]


def test_change_is_reported_after_a_majority_of_the_window():
    texts = ["ABC"] * 10 + ["ABC 12\nXY"] * 10
    assert stable_updates(texts, 5) == [(2, "ABC"), (12, "ABC 12\nXY")]
    assert stable_updates(texts, 3) == [(1, "ABC"), (11, "ABC 12\nXY")]


def test_per_character_vote_can_fix_every_frame():
    texts = ["HXLLO", "HEXLO", "HELXO", "HELLX", "XELLO"]  # no frame is right
    assert stable_updates(texts, 5) == [(2, "HELLO")]


def test_ambiguous_glyph_without_majority_keeps_its_stable_reading():
    texts = ["AR"] * 3 + ["A?", "AP", "AR"] * 6  # no reading of the R holds 3 of 5 frames
    assert stable_updates(texts, 5) == [(2, "AR")]


def test_rejected_readings_do_not_replace_a_stable_character():
    texts = ["AR"] * 3 + ["A?"] * 10 + ["AP"] * 3
    assert stable_updates(texts, 5) == [(2, "AR"), (15, "AP")]
    assert stable_updates(["A?"] * 3 + ["AR"] * 3, 5) == [(2, "A?"), (5, "AR")]


def test_window_of_one_reports_every_change():
    texts = ["AB", "AB", "AC", "AB"]
    assert stable_updates(texts, 1) == [(0, "AB"), (2, "AC"), (3, "AB")]


def test_blank_scene_after_text_is_an_update():
    assert stable_updates(["AB"] * 3 + [""] * 3, 3) == [(1, "AB"), (4, "")]


def test_tie_keeps_the_previous_stable_character():
    assert stable_updates(["AB", "AB", "AB", "AC", "AC", "AB"], 4) == [(2, "AB")]


def test_voted_lines_keep_boxes_and_confidences():
    stabilizer = Stabilizer(3)
    for text in ("HI", "HX", "HI"):
        lines = stabilizer.update(page_of(text))
    data = lines[0].to_dict()
    assert data["text"] == "HI"
    assert [c["box"] for c in data["words"][0]["chars"]] == [[0, 0, 20, 30], [24, 0, 20, 30]]
    assert data["words"][0]["chars"][1]["confidence"] == pytest.approx(0.9)


# ---------------------------------------------------------------- sources and options


def test_parse_source_kinds(tmp_path):
    video = tmp_path / "a.mp4"
    video.write_bytes(b"x")
    assert parse_source("0") == Source(0, True, "camera 0")
    assert parse_source("/dev/video2").live
    assert parse_source("rtsp://cam.local/stream").live
    assert parse_source(str(video)) == Source(str(video), False, "a.mp4")


@pytest.mark.parametrize("text", ["", "ftp://x/y", "no-such-video.mp4", "/dev/videoX", "."])
def test_bad_source_strings_are_source_errors(text):
    with pytest.raises(SourceError):
        parse_source(text)


@pytest.mark.parametrize(
    "change",
    [
        {"every": 0},
        {"stable": 0},
        {"format": "xml"},
        {"max_frames": 0},
        {"duration": 0.0},
        {"retries": -1},
        {"output": Path("out.gif")},
        {"output": Path("/no/such/folder/out.mp4")},
    ],
)
def test_bad_options_are_rejected_before_opening(change):
    with pytest.raises(HwrError):
        run_stream(StreamConfig(source="0", **change), recognizer=object())


# ---------------------------------------------------------------- synthetic video


def render_frame(
    lines: list[str],
    size: tuple[int, int],
    rng: np.random.Generator,
    scale: float = 1.6,
    thickness: int = 3,
    gap: int = 8,
) -> np.ndarray:
    """Block capitals, one by one with ``gap`` px between them, on jittered noisy paper (BGR)."""
    width, height = size
    shade = np.linspace(0, 25, width, dtype=np.float32)[None, :]
    paper = 215 + rng.uniform(-10, 10) + shade + rng.normal(0, 6, (height, width))
    image = np.clip(paper, 0, 255).astype(np.uint8)
    dx, dy = (int(v) for v in rng.integers(-3, 4, size=2))
    step = int(scale * 45)
    font = cv2.FONT_HERSHEY_SIMPLEX
    for row, text in enumerate(lines):
        x, y = 20 + dx, 20 + step * (row + 1) + dy
        for ch in text:
            (w, _), _ = cv2.getTextSize(ch if ch != " " else "M", font, scale, thickness)
            cv2.putText(image, ch, (x, y), font, scale, 40, thickness, cv2.LINE_AA)
            x += w + gap
    return cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)


def write_video(path: Path, frames, fps: float = 25.0) -> None:
    frames = iter(frames)
    first = next(frames)
    height, width = first.shape[:2]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), fps, (width, height))
    assert writer.isOpened()
    writer.write(first)
    for frame in frames:
        writer.write(frame)
    writer.release()


def count_frames(path: Path) -> int:
    """Frames actually decodable from ``path`` (not the container's claim)."""
    cap = cv2.VideoCapture(str(path))
    assert cap.isOpened(), f"{path} is not readable"
    n = 0
    while cap.read()[0]:
        n += 1
    cap.release()
    return n


FIRST = ["MAX 47", "CLAW"]
SECOND = ["MAX 93", "CLAW"]
SWITCH = 12  # first frame showing SECOND
N_FRAMES = 24


@pytest.fixture(scope="module")
def changing_video(tmp_path_factory) -> Path:
    rng = np.random.default_rng(6)
    path = tmp_path_factory.mktemp("stream") / "change.avi"
    texts = [FIRST] * SWITCH + [SECOND] * (N_FRAMES - SWITCH)
    write_video(path, (render_frame(t, (320, 240), rng) for t in texts))
    return path


def stream_cli(*args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "hwr_edge", "stream", *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO,
        **kwargs,
    )


def test_stream_reports_each_stable_text_once(changing_video, tmp_path):
    out = tmp_path / "annotated.mp4"
    result = stream_cli(
        "--source", str(changing_video), "--format", "jsonl", "--stable", "5", "--output", str(out)
    )
    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(r["frame"], r["text"]) for r in records] == [
        (2, "\n".join(FIRST)),
        (SWITCH + 2, "\n".join(SECOND)),
    ]
    assert records[1]["t"] == pytest.approx((SWITCH + 2) / 25.0, abs=1e-3)
    assert [line["text"] for line in records[1]["lines"]] == SECOND
    assert all(r["fps"] > 0 for r in records)
    assert result.stderr.strip().splitlines()[-1].startswith("stream: end of file;")
    assert f"{N_FRAMES} frames read, {N_FRAMES} recognized, 0 dropped" in result.stderr
    assert count_frames(out) == N_FRAMES


def test_text_format_and_every(changing_video):
    result = stream_cli("--source", str(changing_video), "--every", "2", "--stable", "3")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "\n".join(FIRST) + "\n\n" + "\n".join(SECOND) + "\n"
    assert f"{N_FRAMES} frames read, {N_FRAMES // 2} recognized" in result.stderr


def test_stats_prints_fps_and_stage_latency(changing_video):
    result = stream_cli("--source", str(changing_video), "--stats", "--max-frames", "3")
    assert result.returncode == 0, result.stderr
    stats = [line for line in result.stderr.splitlines() if line.startswith("stats: ")]
    assert stats and stats[0].startswith("stats: frame 0 fps ")
    for stage in ("read", "preprocess", "segment", "infer", "total"):
        assert f"{stage} " in stats[0]


def test_max_frames_bounds_the_run(changing_video):
    result = stream_cli("--source", str(changing_video), "--max-frames", "5", "--format", "jsonl")
    assert result.returncode == 0, result.stderr
    assert "--max-frames 5 reached; 5 frames read" in result.stderr
    assert [json.loads(r)["frame"] for r in result.stdout.splitlines()] == [2]


def test_missing_camera_gives_up_within_the_retry_budget():
    start = time.monotonic()
    result = stream_cli("--source", "63", "--retries", "2", "--backoff", "0.2")
    elapsed = time.monotonic() - start
    assert result.returncode != 0
    assert result.stderr.count("retry") == 2
    last = result.stderr.strip().splitlines()[-1]
    assert last == "error: cannot open camera 63 (gave up after 3 attempts)"
    assert 0.6 <= elapsed < 30  # waited 0.2 + 0.4 s, then stopped


class DeadCamera:
    """A camera that opens but never delivers a frame (an unplugged or metadata-only node)."""

    opened = 0

    def __init__(self, target):
        DeadCamera.opened += 1

    def isOpened(self):
        return True

    def read(self):
        return False, None

    def get(self, prop):
        return 0.0

    def release(self):
        pass


def test_camera_that_opens_but_never_delivers_gives_up(monkeypatch):
    from hwr_edge.stream import Capture, Timings

    monkeypatch.setattr(cv2, "VideoCapture", DeadCamera)
    DeadCamera.opened = 0
    config = StreamConfig(source="0", retries=3, backoff=0.05)
    err = io.StringIO()
    capture = Capture(parse_source("0"), DeadCamera(0), config, threading.Event(), Timings(), err)
    start = time.monotonic()
    capture.run()
    assert isinstance(capture.error, SourceError)
    assert "gave up after 3 reconnects" in str(capture.error)
    assert DeadCamera.opened == 4 and err.getvalue().count("reconnect ") == 3
    assert time.monotonic() - start >= 0.05 + 0.1 + 0.2  # backed off between reconnects


@pytest.mark.parametrize("source", ["no-such-video.mp4", "gopher://x"])
def test_bad_source_is_a_one_line_error(source):
    result = stream_cli("--source", source)
    assert result.returncode != 0
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("error: ")


def test_undecodable_file_is_a_one_line_error(tmp_path):
    bogus = tmp_path / "notes.mp4"
    bogus.write_text("not a video")
    result = stream_cli("--source", str(bogus))
    assert result.returncode != 0
    assert result.stderr == f"error: cannot read {str(bogus)!r}: not a video OpenCV can decode\n"


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_signal_leaves_a_playable_video(tmp_path, sig):
    rng = np.random.default_rng(1)
    frames = [render_frame(FIRST, (320, 240), rng) for _ in range(8)]
    video = tmp_path / "long.avi"
    write_video(video, (frames[i % 8] for i in range(1000)))
    out = tmp_path / "annotated.mp4"
    proc = subprocess.Popen(
        [sys.executable, "-m", "hwr_edge", "stream", "--source", str(video), "-o", str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO,
    )
    assert proc.stdout.readline().strip() == FIRST[0]  # running and recognizing
    proc.send_signal(sig)
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 0, stderr
    summary = stderr.strip().splitlines()[-1]
    assert summary.startswith(f"stream: stopped by {sig.name};")
    written = int(summary.split(" written")[0].rsplit(" ", 1)[1])
    assert 0 < written < 1000
    assert count_frames(out) == written


# ---------------------------------------------------------------- pipeline (no model)


class SlowReader:
    """A recognizer stand-in that takes ``delay`` seconds and reads the frame's mean shade."""

    def __init__(self, delay: float) -> None:
        self.delay = delay
        self.calls = 0

    def recognize(self, image):
        self.calls += 1
        time.sleep(self.delay)
        return page_of("DARK" if image.mean() < 128 else "LIGHT")


def shade_video(path: Path, n: int, dark_from: int) -> None:
    frames = (np.full((48, 64, 3), 40 if i >= dark_from else 220, np.uint8) for i in range(n))
    write_video(path, frames)


def shade_stream(tmp_path: Path, reader, n: int, dark_from: int):
    """A file stream of ``shade_video`` frames read by ``reader``: its report and the
    (frame, text) of each jsonl update."""
    video = tmp_path / "shade.avi"
    shade_video(video, n, dark_from)
    out = []
    config = StreamConfig(source=str(video), stable=3, format="jsonl")
    report = _Pipeline(config, parse_source(str(video)), reader, Collect(out), Collect([])).run()
    return report, [(json.loads(r)["frame"], json.loads(r)["text"]) for r in out]


def test_file_stream_processes_every_frame_in_order(tmp_path):
    reader = SlowReader(0.002)
    report, updates = shade_stream(tmp_path, reader, 40, dark_from=20)
    assert (report.read, report.recognized, report.dropped, reader.calls) == (40, 40, 0, 40)
    assert updates == [(1, "LIGHT"), (21, "DARK")]


class TextureReader(SlowReader):
    """``SlowReader`` that finds the dark frames unreadable, as the Recognizer finds a frame
    of texture or noise (``PageError``)."""

    def recognize(self, image):
        if image.mean() < 128:
            self.calls += 1
            raise PageError("9000 separate marks of ink")
        return super().recognize(image)


def test_a_frame_of_texture_reads_as_no_text_and_the_stream_goes_on(tmp_path):
    reader = TextureReader(0.0)
    report, updates = shade_stream(tmp_path, reader, 30, dark_from=10)
    assert (report.read, report.recognized, report.unreadable, reader.calls) == (30, 30, 20, 30)
    assert updates == [(1, "LIGHT"), (11, "")]
    assert "20 unreadable" in _summary(report, Timings())


def test_live_source_drops_frames_while_busy_and_stays_bounded(tmp_path):
    video = tmp_path / "shade.avi"
    shade_video(video, 200, dark_from=100)
    reader = SlowReader(0.02)
    config = StreamConfig(source=str(video), stable=1, max_frames=200)
    live = Source(str(video), True, "fake camera")
    report = _Pipeline(config, live, reader, Collect([]), Collect([])).run()
    assert report.dropped > 0
    assert report.recognized == reader.calls
    assert report.read == 200
    assert report.recognized + report.dropped == 200  # each frame read or dropped, none queued


def test_stop_event_ends_a_live_stream_promptly(tmp_path):
    video = tmp_path / "shade.avi"
    shade_video(video, 500, dark_from=500)
    pipeline = _Pipeline(
        StreamConfig(source=str(video)),
        Source(str(video), True, "fake camera"),
        SlowReader(0.01),
        Collect([]),
        Collect([]),
    )
    threading.Timer(0.3, pipeline.stop.set).start()
    start = time.monotonic()
    report = pipeline.run()
    assert time.monotonic() - start < 5
    assert 0 < report.recognized < 500


def test_duration_bounds_a_file_stream(tmp_path):
    video = tmp_path / "shade.avi"
    shade_video(video, 300, dark_from=300)
    config = StreamConfig(source=str(video), duration=0.3)
    start = time.monotonic()
    pipeline = _Pipeline(
        config, parse_source(str(video)), SlowReader(0.01), Collect([]), Collect([])
    )
    report = pipeline.run()
    assert time.monotonic() - start < 3
    assert report.reason == "--duration 0.3 s reached"
    assert 0 < report.recognized == report.read < 300


class Collect:
    """A text stream that keeps the lines written to it."""

    def __init__(self, lines: list[str]) -> None:
        self.lines = lines
        self._buffer = ""

    def write(self, text: str) -> None:
        self._buffer += text
        *done, self._buffer = self._buffer.split("\n")
        self.lines.extend(done)

    def flush(self) -> None:
        pass


# ---------------------------------------------------------------- benchmark videos


def bench_text(n_chars: int, per_line: int = 10) -> list[str]:
    """``n_chars`` characters as lines of ``per_line``, a space in the middle of each line."""
    chars = [BENCH_ALPHABET[(7 * i) % len(BENCH_ALPHABET)] for i in range(n_chars)]
    rows = [chars[i : i + per_line] for i in range(0, n_chars, per_line)]
    return ["".join(r[: len(r) // 2]) + " " + "".join(r[len(r) // 2 :]) for r in rows]


def main(argv: list[str] | None = None) -> None:
    """Writes a benchmark video: ``--chars`` characters on ``--size`` frames."""
    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("output", type=Path)
    parser.add_argument("--chars", type=int, default=20)
    parser.add_argument("--size", default="640x480")
    parser.add_argument("--frames", type=int, default=300)
    parser.add_argument("--scale", type=float, default=1.6)
    args = parser.parse_args(argv)
    size = tuple(int(v) for v in args.size.split("x"))
    rng = np.random.default_rng(0)
    text = bench_text(args.chars)
    write_video(
        args.output, (render_frame(text, size, rng, args.scale) for _ in range(args.frames))
    )
    print(f"{args.output}: {args.frames} frames {args.size}, text {text}")


if __name__ == "__main__":
    main()
