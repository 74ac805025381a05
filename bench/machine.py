"""What every results file records about the machine and software a benchmark ran on."""

from __future__ import annotations

import contextlib
import os
import platform
import resource
import subprocess
from collections.abc import Iterable
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def _first(path: str, prefix: str) -> str | None:
    with contextlib.suppress(OSError):
        for line in Path(path).read_text().splitlines():
            if line.startswith(prefix):
                return line.split(":", 1)[1].strip()
    return None


def _command_line(*args: str, cwd: Path | None = None) -> str | None:
    try:
        out = subprocess.run(args, capture_output=True, text=True, check=False, cwd=cwd)
    except OSError:
        return None
    lines = out.stdout.strip().splitlines()
    return lines[0] if lines else None


# The CPU features the inference kernels depend on (x86 vector extensions, ARM dot product):
# int8-weight and fp32 kernels trade places between CPUs with and without them.
_VECTOR_FLAGS = (
    "sse4_2", "avx", "avx2", "fma", "f16c", "avx512f", "avx512bw", "avx512vl", "avx512_vnni",
    "avx_vnni", "avx512_bf16", "amx_int8", "neon", "asimd", "asimddp", "i8mm", "sve",
)  # fmt: skip


def cpu_flags() -> list[str]:
    """The vector-relevant flags of this CPU (x86 ``flags`` or ARM ``Features``)."""
    flags = _first("/proc/cpuinfo", "flags") or _first("/proc/cpuinfo", "Features") or ""
    have = set(flags.split())
    return [f for f in _VECTOR_FLAGS if f in have]


def describe(packages: Iterable[str]) -> dict[str, Any]:
    """The machine, its load when the run started, and the versions of ``packages``."""
    mem = _first("/proc/meminfo", "MemTotal")
    versions: dict[str, str | None] = {}
    for dist in packages:
        try:
            versions[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            versions[dist] = None
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "commit": _command_line("git", "rev-parse", "--short", "HEAD", cwd=ROOT),
        "cpu": _first("/proc/cpuinfo", "model name") or "unknown",
        "cpu_flags": cpu_flags(),
        "arch": platform.machine(),
        "cores": os.cpu_count(),
        "usable_cores": len(os.sched_getaffinity(0)),
        "memory_gb": round(int(mem.split()[0]) / 1024 / 1024, 1) if mem else None,
        "load_avg_at_start": [round(x, 2) for x in os.getloadavg()],
        "os": platform.platform(),
        "python": platform.python_version(),
        "mosquitto": _command_line("mosquitto", "-h"),
        "nofile_limit": resource.getrlimit(resource.RLIMIT_NOFILE)[0],
        "packages": versions,
    }
