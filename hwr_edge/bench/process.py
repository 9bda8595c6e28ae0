"""Cold start and peak memory: whole ``hwr-edge`` processes timed from the outside."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from hwr_edge.bench.stats import summarize

# A small launcher process starts the measured command and reports its wall time and the
# child's own ru_maxrss. Waiting on the child from the bench process itself would not do:
# Linux carries the parent's RSS at fork/spawn into the child's ru_maxrss.
LAUNCHER = """
import os, sys, time
out = [(os.POSIX_SPAWN_OPEN, 1, os.devnull, os.O_WRONLY, 0)]
t0 = time.perf_counter()
pid = os.posix_spawnp(sys.argv[1], sys.argv[1:], os.environ, file_actions=out)
_, status, usage = os.wait4(pid, 0)
wall = time.perf_counter() - t0
print(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss, os.waitstatus_to_exitcode(status))
"""


def run_child(cmd: list[str], cwd: Path | None = None, env: dict | None = None) -> dict:
    """Run ``cmd`` once (in ``env``, else this process's environment): its wall time, CPU
    time (user + system, all threads; unlike wall time, hardly inflated by other processes on
    the CPU), own peak RSS in MB, exit code and last stderr line."""
    launcher = [sys.executable, "-I", "-S", "-c", LAUNCHER, *cmd]
    done = subprocess.run(launcher, cwd=cwd, env=env, capture_output=True, text=True)
    fields = done.stdout.split()
    if done.returncode != 0 or len(fields) != 4:
        tail = done.stderr.strip().splitlines()[-1:] or [f"launcher exit code {done.returncode}"]
        return {"wall_s": None, "returncode": done.returncode, "stderr": tail}
    unit = 1 if sys.platform == "darwin" else 1024  # ru_maxrss: bytes on macOS, else KiB
    lines = done.stderr.strip().splitlines()
    return {
        "wall_s": float(fields[0]),
        "cpu_s": float(fields[1]),
        "rss_mb": int(fields[2]) * unit / 1e6,
        "returncode": int(fields[3]),
        "stderr": lines[-1:],
    }


def console_script() -> str | None:
    """The installed ``hwr-edge`` script: next to this interpreter, else on PATH."""
    beside = Path(sys.executable).parent / "hwr-edge"
    return str(beside) if beside.is_file() else shutil.which("hwr-edge")


def process_commands(image: Path) -> list[dict]:
    """The processes the bench starts: ``key``, ``label``, ``cmd`` (None when ``skipped``)."""
    py = sys.executable
    script = console_script()
    rows = [
        ("interpreter", "python -c pass (interpreter only)", [py, "-c", "pass"]),
        ("version", "python -m hwr_edge --version", [py, "-m", "hwr_edge", "--version"]),
        ("module", "python -m hwr_edge recognize", [py, "-m", "hwr_edge", "recognize", str(image)]),
        ("script", "hwr-edge recognize", [script, "recognize", str(image)] if script else None),
    ]
    why = "no hwr-edge console script next to the interpreter or on PATH"
    return [
        {"key": k, "label": label, "cmd": cmd, "skipped": "" if cmd else why}
        for k, label, cmd in rows
    ]


def cached_bytecode_env(prefix: Path) -> dict:
    """This environment with Python's bytecode cache under ``prefix`` and writing it allowed.
    An installed wheel starts from bytecode pip compiled at install time; a source checkout
    run with PYTHONDONTWRITEBYTECODE set (an editable install in CI or a container) would
    compile every ``hwr_edge`` module at every start instead (83 ms of a 0.56 s start on a Zen 4
    on 2026-12-03), which is not what a user's start costs."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    return env | {"PYTHONPYCACHEPREFIX": str(prefix)}


def cold_start(key: str, label: str, cmd: list[str], runs: int) -> dict:
    """Start ``cmd`` once untimed (to warm the page cache and write its bytecode to a fresh
    cache, ``cached_bytecode_env``), then ``runs`` times timed, from that bytecode."""
    with tempfile.TemporaryDirectory(prefix="hwr-edge-pycache-") as prefix:
        env = cached_bytecode_env(Path(prefix))
        run_child(cmd, env=env)
        results = [run_child(cmd, env=env) for _ in range(max(1, runs))]
    row = {"key": key, "label": label, "command": cmd, "runs": len(results)}
    timed = [r for r in results if r["wall_s"] is not None]
    if timed:
        row["wall_ms"] = summarize([r["wall_s"] for r in timed], 1000.0)
        row["cpu_ms"] = summarize([r["cpu_s"] for r in timed], 1000.0)
        row["peak_rss_mb"] = summarize([r["rss_mb"] for r in timed])
    failed = [r for r in results if r["returncode"] != 0]
    if failed:
        row["error"] = " ".join(failed[-1]["stderr"]) or f"exit code {failed[-1]['returncode']}"
    return row
