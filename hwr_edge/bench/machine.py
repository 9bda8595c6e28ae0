"""What machine a benchmark ran on: CPU model and flags, cores, OS, library versions."""

from __future__ import annotations

import os
import platform
import sys
from pathlib import Path

CPUINFO = Path("/proc/cpuinfo")
# /proc/cpuinfo "CPU part" of ARM cores found on Raspberry Pi boards (Pi 3, 4, 5)
ARM_CORES = {"0xd03": "Cortex-A53", "0xd08": "Cortex-A72", "0xd0b": "Cortex-A76"}


def cpu_cores() -> int:
    """Cores this process may run on (its affinity mask where the OS has one)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def parse_cpuinfo(text: str) -> dict:
    """CPU model name and feature flags from the text of /proc/cpuinfo (x86 or ARM layout)."""
    fields: dict[str, str] = {}
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if sep and key.strip() not in fields:
            fields[key.strip()] = value.strip()
    model = fields.get("model name") or fields.get("Model") or fields.get("Hardware") or ""
    part = fields.get("CPU part", "").lower()
    if part:
        core = ARM_CORES.get(part, f"ARM CPU part {part}")
        model = f"{model} ({core})" if model else core
    flags = (fields.get("flags") or fields.get("Features") or "").split()
    return {"model": model, "flags": sorted(flags), "board": fields.get("Model", "")}


def _version(module: str) -> str:
    """The version of an importable module, or a short reason why there is none."""
    try:
        return str(__import__(module).__version__)
    except ImportError as exc:
        return f"not installed ({exc.name})"


def machine_info() -> dict:
    """Everything needed to compare a benchmark with one run elsewhere."""
    cpu = parse_cpuinfo(CPUINFO.read_text()) if CPUINFO.is_file() else {"model": "", "flags": []}
    return {
        "cpu_model": cpu["model"] or platform.processor() or platform.machine(),
        "cpu_flags": cpu["flags"],
        "board": cpu.get("board", ""),
        "cores": cpu_cores(),
        "cpu_count": os.cpu_count(),
        "machine": platform.machine(),
        "os": platform.platform(),
        "python": sys.version.split()[0],
        "numpy": _version("numpy"),
        "onnxruntime": _version("onnxruntime"),
        "opencv": _version("cv2"),
    }
