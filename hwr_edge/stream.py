"""``hwr-edge stream``: live recognition from a camera, a video file or a network stream.

Three threads form a pipeline joined by bounded channels: capture (reads frames), the
caller's thread (recognizes every Nth frame and stabilizes the text over the last K
recognized frames) and a writer (draws the annotated video). A live source drops the
oldest waiting frame when the recognizer is busy; a file waits, so no frame is lost.
OpenCV, numpy and onnxruntime are imported only when a stream starts.
"""

from __future__ import annotations

import json
import os
import re
import signal
import sys
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

import typer

from hwr_edge.errors import HwrError, PageError, SourceError
from hwr_edge.results import Page
from hwr_edge.stabilize import Stabilizer

LIVE_SCHEMES = {"rtsp", "rtsps", "rtmp", "http", "https", "udp", "tcp"}
VIDEO_CODECS = {".mp4": "mp4v", ".m4v": "mp4v", ".mov": "mp4v", ".avi": "MJPG"}
FILE_QUEUE = 8  # frames waiting between stages when nothing may be dropped
STATS_EVERY_S = 1.0


@dataclass(frozen=True)
class Source:
    """What ``cv2.VideoCapture`` opens, and whether it is live (drop frames, reconnect)."""

    target: int | str
    live: bool
    label: str


@dataclass
class StreamConfig:
    """Everything one stream run needs; mirrors the command-line options."""

    source: str
    every: int = 1
    stable: int = 5
    format: str = "text"
    output: Path | None = None
    max_frames: int | None = None
    duration: float | None = None
    stats: bool = False
    model: str | None = None
    charset: str | None = None
    threads: int | None = None
    retries: int = 5
    backoff: float = 0.5


@dataclass
class Frame:
    index: int  # 0-based position in the source (frames read, dropped ones included)
    t: float  # seconds: video time for a file, time since the start for a live source
    image: object  # BGR uint8 ndarray


def parse_source(text: str) -> Source:
    """Classifies a --source string; a string that names nothing openable is a SourceError."""
    text = text.strip()
    if not text:
        raise SourceError("empty --source: give a camera index, /dev/videoN, a file or a URL")
    if text.isdigit():
        return Source(int(text), True, f"camera {int(text)}")
    if re.fullmatch(r"/dev/video\d+", text):
        return Source(text, True, f"camera {text}")
    if "://" in text:
        scheme = text.split("://", 1)[0].lower()
        if scheme not in LIVE_SCHEMES:
            raise SourceError(f"unsupported source URL scheme {scheme!r} in {text!r}")
        return Source(text, True, text)
    path = Path(text).expanduser()
    if path.is_dir():
        raise SourceError(f"source {text!r} is a directory, not a video file")
    if not path.is_file():
        raise SourceError(
            f"source {text!r} is not a camera index, /dev/videoN, URL or existing video file"
        )
    return Source(str(path), False, path.name)


def validate(config: StreamConfig) -> None:
    """Rejects option values that cannot work, before anything is opened."""
    if config.every < 1:
        raise HwrError("--every must be at least 1")
    if config.stable < 1:
        raise HwrError("--stable must be at least 1")
    if config.format not in ("text", "jsonl"):
        raise HwrError(f"--format must be text or jsonl, not {config.format!r}")
    if config.max_frames is not None and config.max_frames < 1:
        raise HwrError("--max-frames must be at least 1")
    if config.duration is not None and config.duration <= 0:
        raise HwrError("--duration must be more than 0 seconds")
    if config.retries < 0 or config.backoff < 0:
        raise HwrError("--retries and --backoff must not be negative")
    if config.threads is not None and config.threads < 1:
        raise HwrError("--threads must be at least 1")
    if config.output is not None:
        suffix = config.output.suffix.lower()
        if suffix not in VIDEO_CODECS:
            raise HwrError(f"--output must end in one of {', '.join(VIDEO_CODECS)}, not {suffix!r}")
        if not config.output.parent.is_dir():
            raise HwrError(f"--output folder {str(config.output.parent)!r} does not exist")


class Channel:
    """A bounded hand-off between two threads; when full, ``put`` drops the oldest or waits."""

    def __init__(self, capacity: int, drop_oldest: bool) -> None:
        self.capacity = capacity
        self.drop_oldest = drop_oldest
        self.dropped = 0
        self._items: deque = deque()
        self._closed = False
        self._cond = threading.Condition()

    def put(self, item, stop: threading.Event) -> bool:
        """Adds ``item``; returns False when ``stop`` was set while waiting for room."""
        with self._cond:
            while len(self._items) >= self.capacity:
                if self.drop_oldest:
                    self._items.popleft()
                    self.dropped += 1
                elif stop.is_set():
                    return False
                else:
                    self._cond.wait(0.1)
            self._items.append(item)
            self._cond.notify_all()
            return True

    def get(self, stop: threading.Event | None = None):
        """Next item, or None once the channel is closed and empty (or ``stop`` is set)."""
        with self._cond:
            while not self._items:
                if self._closed or (stop is not None and stop.is_set()):
                    return None
                self._cond.wait(0.1)
            item = self._items.popleft()
            self._cond.notify_all()
            return item

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()


class Timings:
    """Per-stage latency sums, shared by the pipeline threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.total: dict[str, list[float]] = {}
        self.recent: dict[str, list[float]] = {}

    def add(self, stage: str, ms: float) -> None:
        with self._lock:
            for table in (self.total, self.recent):
                entry = table.setdefault(stage, [0.0, 0])
                entry[0] += ms
                entry[1] += 1

    def means(self, recent: bool = False) -> dict[str, float]:
        """Mean ms per stage, over the whole run or since the last ``recent`` call."""
        with self._lock:
            table = self.recent if recent else self.total
            means = {k: s / n for k, (s, n) in table.items() if n}
            if recent:
                self.recent = {}
            return means


def _setup_opencv(threads: int | None) -> None:
    """Silences OpenCV's and FFmpeg's own logs (errors are reported here), caps threads."""
    import cv2

    os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")  # read when FFmpeg is first used
    cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_SILENT)
    if threads is not None:
        cv2.setNumThreads(threads)


def open_capture(source: Source, retries: int, backoff: float, stop: threading.Event, err):
    """Opens ``source``; a live one is retried ``retries`` times, waiting backoff * 2**i s."""
    import cv2

    attempts = 1 + (retries if source.live else 0)
    for attempt in range(attempts):
        cap = cv2.VideoCapture(source.target)
        if cap.isOpened():
            return cap
        cap.release()
        if attempt + 1 < attempts:
            delay = backoff * 2**attempt
            print(
                f"stream: cannot open {source.label}; retry {attempt + 1}/{retries} "
                f"in {delay:.1f} s",
                file=err,
                flush=True,
            )
            if stop.wait(delay):
                return None
    if source.live:
        raise SourceError(f"cannot open {source.label} (gave up after {attempts} attempts)")
    raise SourceError(f"cannot read {source.target!r}: not a video OpenCV can decode")


class Capture(threading.Thread):
    """Reads frames into ``frames``; reconnects a live source that stops delivering."""

    def __init__(self, source, cap, config: StreamConfig, stop, timings, err) -> None:
        super().__init__(name="hwr-capture", daemon=True)
        self.source = source
        self.cap = cap
        self.config = config
        self.stop = stop
        self.timings = timings
        self.err = err
        self.frames = Channel(1 if source.live else FILE_QUEUE, drop_oldest=source.live)
        self.read = 0
        self.failures = 0  # reconnects since the last frame that arrived
        self.error: Exception | None = None
        self.reason = "end of file"
        self.started_at = time.monotonic()

    def fps(self) -> float:
        """The source's frame rate, or 30 when it does not say."""
        import cv2

        fps = self.cap.get(cv2.CAP_PROP_FPS) if self.cap is not None else 0.0
        return fps if 1.0 <= fps <= 240.0 else 30.0

    def run(self) -> None:
        try:
            self._loop()
        except Exception as exc:  # handed to the main thread, raised there after cleanup
            self.error = exc
            self.reason = "source failed"
        finally:
            if self.cap is not None:
                self.cap.release()
            self.frames.close()

    def _limit_reached(self) -> bool:
        config = self.config
        if config.max_frames is not None and self.read >= config.max_frames:
            self.reason = f"--max-frames {config.max_frames} reached"
            return True
        if config.duration is not None and time.monotonic() - self.started_at >= config.duration:
            self.reason = f"--duration {config.duration:g} s reached"
            return True
        return False

    def _loop(self) -> None:
        fps = self.fps()
        while not self.stop.is_set() and not self._limit_reached():
            start = time.perf_counter()
            ok, image = self.cap.read()
            self.timings.add("read", (time.perf_counter() - start) * 1000)
            if not ok:
                if not self.source.live:
                    if self.read == 0:
                        raise SourceError(f"{self.source.label}: no frame could be decoded")
                    return
                self._reconnect()
                continue
            t = time.monotonic() - self.started_at if self.source.live else self.read / fps
            if not self.frames.put(Frame(self.read, t, image), self.stop):
                return
            self.read += 1
            self.failures = 0

    def _reconnect(self) -> None:
        """Reopen a live source that stopped delivering, with backoff. A source that opens
        but still delivers nothing uses up the same retry budget: ``retries`` reconnects in
        a row without a frame, then ``SourceError``."""
        label, retries = self.source.label, self.config.retries
        if self.failures >= retries:
            raise SourceError(
                f"{label} stopped delivering frames (gave up after {retries} reconnects)"
            )
        delay = self.config.backoff * 2**self.failures
        self.failures += 1
        print(
            f"stream: {label} stopped delivering frames; reconnect {self.failures}/{retries} "
            f"in {delay:.1f} s",
            file=self.err,
            flush=True,
        )
        self.cap.release()
        self.cap = None
        if self.stop.wait(delay):
            return
        self.cap = open_capture(
            self.source, self.config.retries, self.config.backoff, self.stop, self.err
        )
        if self.cap is None:
            return
        print(f"stream: {self.source.label} reconnected", file=self.err, flush=True)


def draw_overlay(image, page, stable_lines: list[str]):
    """``annotate``'s boxes and labels for ``page``, the stable text in a band at the bottom."""
    import cv2

    from hwr_edge.annotate import annotate

    out = annotate(image, page) if page is not None else image.copy()
    if stable_lines:
        top = max(0, out.shape[0] - 8 - 22 * len(stable_lines))
        out[top:] //= 3
        for i, text in enumerate(stable_lines):
            cv2.putText(
                out, text, (6, top + 22 + 22 * i), cv2.FONT_HERSHEY_SIMPLEX, 0.6,
                (255, 255, 255), 1, cv2.LINE_AA,
            )  # fmt: skip
    return out


class Writer(threading.Thread):
    """Draws and writes the annotated video; the file is finalized however the run ends."""

    def __init__(self, path: Path, fps: float, stop, timings) -> None:
        super().__init__(name="hwr-writer", daemon=True)
        self.path = path
        self.fps = fps
        self.stop = stop
        self.timings = timings
        self.frames = Channel(FILE_QUEUE, drop_oldest=False)
        self.written = 0
        self.error: Exception | None = None
        self._video = None

    def run(self) -> None:
        try:
            while (item := self.frames.get()) is not None:
                start = time.perf_counter()
                self._write(*item)
                self.timings.add("write", (time.perf_counter() - start) * 1000)
        except Exception as exc:  # handed to the main thread, raised there after cleanup
            self.error = exc
            self.stop.set()
        finally:
            if self._video is not None:
                self._video.release()

    def _write(self, image, page, stable_lines) -> None:
        import cv2

        if self._video is None:
            height, width = image.shape[:2]
            codec = VIDEO_CODECS[self.path.suffix.lower()]
            fourcc = cv2.VideoWriter_fourcc(*codec)
            self._video = cv2.VideoWriter(str(self.path), fourcc, self.fps, (width, height))
            if not self._video.isOpened():
                raise HwrError(f"cannot write video {str(self.path)!r} ({codec} codec)")
        self._video.write(draw_overlay(image, page, stable_lines))
        self.written += 1


@dataclass
class Report:
    """What a run did; printed as the summary on stderr."""

    read: int = 0
    recognized: int = 0
    dropped: int = 0
    updates: int = 0
    written: int = 0
    unreadable: int = 0  # frames of texture or noise (``PageError``), read as holding no text
    reason: str = ""
    started: float = field(default_factory=time.monotonic)

    def fps(self) -> float:
        elapsed = time.monotonic() - self.started
        return self.recognized / elapsed if elapsed > 0 else 0.0


def _format_ms(means: dict[str, float]) -> str:
    return ", ".join(f"{stage} {ms:.1f}" for stage, ms in means.items())


def _summary(report: Report, timings: Timings) -> str:
    elapsed = time.monotonic() - report.started
    line = (
        f"stream: {report.reason}; {report.read} frames read, {report.recognized} recognized, "
        f"{report.dropped} dropped, {report.unreadable} unreadable, {report.updates} updates, "
        f"{report.written} written "
        f"in {elapsed:.2f} s ({report.fps():.1f} fps)"
    )
    means = timings.means()
    return f"{line}; mean ms: {_format_ms(means)}" if means else line


class Emitter:
    """Prints each stable change in the chosen format."""

    def __init__(self, fmt: str, out: TextIO) -> None:
        self.fmt = fmt
        self.out = out
        self.count = 0

    def emit(self, frame: Frame, lines, fps: float) -> None:
        if self.fmt == "jsonl":
            record = {
                "frame": frame.index,
                "t": round(frame.t, 3),
                "text": "\n".join(line.text for line in lines),
                "lines": [line.to_dict() for line in lines],
                "fps": round(fps, 2),
            }
            print(json.dumps(record), file=self.out, flush=True)
        else:
            if self.count:
                print(file=self.out)
            for line in lines:
                print(line.text, file=self.out)
            self.out.flush()
        self.count += 1


class _SignalStop:
    """Turns SIGINT/SIGTERM into a stop request while a stream runs in the main thread."""

    def __init__(self, stop: threading.Event) -> None:
        self.stop = stop
        self.name: str | None = None
        self._previous: dict = {}

    def _handle(self, signum, _frame) -> None:
        if self.stop.is_set() and self.name is not None:
            raise KeyboardInterrupt
        self.name = signal.Signals(signum).name
        self.stop.set()

    def __enter__(self) -> _SignalStop:
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM):
                self._previous[sig] = signal.signal(sig, self._handle)
        return self

    def __exit__(self, *_exc) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)


def _load_recognizer(config: StreamConfig):
    """The Recognizer, its model loaded now so that a model error comes before any frame."""
    from hwr_edge.recognizer import Recognizer

    recognizer = Recognizer(model=config.model, charset=config.charset, threads=config.threads)
    recognizer.classifier  # noqa: B018  (loads and verifies the model)
    return recognizer


def run_stream(
    config: StreamConfig, recognizer=None, out: TextIO | None = None, err: TextIO | None = None
) -> Report:
    """Runs one stream to its end (input over, a limit, or a signal) and returns its report.

    Source, model and option problems raise ``HwrError`` subclasses; once the source is
    open, the summary is printed to ``err`` and the output video finalized however the
    run ends.
    """
    validate(config)
    source = parse_source(config.source)
    if config.output is not None and not source.live:
        if config.output.resolve() == Path(str(source.target)).resolve():
            raise HwrError("--output must not overwrite the --source video")
    recognizer = recognizer or _load_recognizer(config)
    _setup_opencv(config.threads)
    return _Pipeline(config, source, recognizer, out or sys.stdout, err or sys.stderr).run()


class _Pipeline:
    """One run: capture thread -> recognition (this thread) -> writer thread."""

    def __init__(self, config: StreamConfig, source: Source, recognizer, out, err) -> None:
        self.config = config
        self.source = source
        self.recognizer = recognizer
        self.out = out
        self.err = err
        self.stop = threading.Event()
        self.timings = Timings()
        self.report = Report()

    def run(self) -> Report:
        config, stop, report = self.config, self.stop, self.report
        with _SignalStop(stop) as signals:
            cap = open_capture(self.source, config.retries, config.backoff, stop, self.err)
            capture = Capture(self.source, cap, config, stop, self.timings, self.err)
            writer = None
            if config.output is not None:
                writer = Writer(config.output, capture.fps(), stop, self.timings)
            report.started = capture.started_at
            try:
                if cap is not None:
                    capture.start()
                    if writer is not None:
                        writer.start()
                    self._recognize(capture, writer)
            finally:
                stop.set()
                if capture.is_alive():
                    capture.join()
                if writer is not None:
                    writer.frames.close()
                    if writer.is_alive():
                        writer.join()
                    report.written = writer.written
                report.read = capture.read
                report.dropped = capture.frames.dropped
                report.reason = f"stopped by {signals.name}" if signals.name else capture.reason
                print(_summary(report, self.timings), file=self.err, flush=True)
        for thread in (capture, writer):
            if thread is not None and thread.error is not None:
                raise thread.error
        return report

    def _recognize(self, capture: Capture, writer: Writer | None) -> None:
        """Recognizes every --every'th frame, prints stable changes, feeds the writer."""
        config, report = self.config, self.report
        stabilizer = Stabilizer(config.stable)
        emitter = Emitter(config.format, self.out)
        page = None
        received = 0
        next_stats = time.monotonic()  # the first frame's stats, then every STATS_EVERY_S
        while (frame := capture.frames.get(self.stop)) is not None:
            if received % config.every == 0:
                try:
                    page = self.recognizer.recognize(frame.image)
                except PageError:  # the camera sees a carpet: no text, and the stream goes on
                    page = Page([])
                    report.unreadable += 1
                report.recognized += 1
                for stage, ms in page.timings_ms.items():
                    self.timings.add(stage, ms)
                lines = stabilizer.update(page)
                if lines is not None:
                    emitter.emit(frame, lines, report.fps())
                    report.updates += 1
            received += 1
            if writer is not None:
                if not writer.frames.put((frame.image, page, list(stabilizer.texts)), self.stop):
                    return
            if config.stats and report.recognized and time.monotonic() >= next_stats:
                next_stats = time.monotonic() + STATS_EVERY_S
                print(
                    f"stats: frame {frame.index} fps {report.fps():.1f} "
                    f"dropped {capture.frames.dropped}; "
                    f"ms: {_format_ms(self.timings.means(recent=True))}",
                    file=self.err,
                    flush=True,
                )


def stream_command(
    source: str = typer.Option(
        ..., "--source", "-s", help="Camera index (0), /dev/videoN, video file, or rtsp/http URL."
    ),
    every: int = typer.Option(1, "--every", help="Recognize every Nth frame."),
    stable: int = typer.Option(
        5, "--stable", help="Stabilization window: majority vote over the last K recognized frames."
    ),
    format: str = typer.Option(
        "text", "--format", "-f", help="text: the stable text lines; jsonl: one JSON per change."
    ),
    output: Path | None = typer.Option(
        None, "--output", "-o", help="Write the annotated video here (.mp4, .m4v, .mov or .avi)."
    ),
    max_frames: int | None = typer.Option(None, "--max-frames", help="Stop after N frames."),
    duration: float | None = typer.Option(
        None, "--duration", help="Stop after S seconds of wall-clock time."
    ),
    stats: bool = typer.Option(False, "--stats", help="Print live FPS and per-stage latency."),
    model: str | None = typer.Option(
        None, "--model", "-m", help="Model name from `hwr-edge models`, or a path to an .onnx file."
    ),
    charset: str | None = typer.Option(
        None,
        "--charset",
        "-c",
        help="Allowed characters: digits, letters, upper, lower, alnum, or the characters.",
    ),
    threads: int | None = typer.Option(
        None, "--threads", "-t", help="CPU threads for inference and OpenCV (default: all cores)."
    ),
    retries: int = typer.Option(5, "--retries", help="Reconnect attempts for a live source."),
    backoff: float = typer.Option(
        0.5, "--backoff", help="Seconds before the first retry; doubles each time."
    ),
) -> None:
    """Recognize handwriting live from a camera, a video file or a network stream.

    Prints the text each time it changes and has been stable over the last --stable
    recognized frames (text: one line per text line, a blank line between updates;
    jsonl: one {"frame", "t", "text", "lines", "fps"} object per change). A summary
    goes to stderr at the end. A file is read to its end, none of its frames dropped;
    a live source drops frames while the recognizer is busy and is reconnected with
    --retries and --backoff when it fails. Ctrl-C or SIGTERM stops cleanly, with the
    --output video finalized.
    """
    config = StreamConfig(
        source=source,
        every=every,
        stable=stable,
        format=format,
        output=output,
        max_frames=max_frames,
        duration=duration,
        stats=stats,
        model=model,
        charset=charset,
        threads=threads,
        retries=retries,
        backoff=backoff,
    )
    run_stream(config)
