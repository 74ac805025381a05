"""Tiny wheels of the bianmin distribution, built in a test: a new version of the agent
without waiting for setuptools. A wheel with metadata only runs the installed code under the
new version number (what the unit reports); one with a `bianmin` package of its own replaces
the command line, e.g. with one that cannot start."""

from __future__ import annotations

import base64
import hashlib
import zipfile
from pathlib import Path


def _record_line(name: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{name},sha256={digest},{len(data)}"


def make_wheel(
    directory: Path, version: str, files: dict[str, str] | None = None, *, name: str = "bianmin"
) -> Path:
    dist_info = f"{name}-{version}.dist-info"
    entries = dict(files or {})
    entries[f"{dist_info}/METADATA"] = (
        f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\nSummary: test build\n"
    )
    entries[f"{dist_info}/WHEEL"] = (
        "Wheel-Version: 1.0\nGenerator: tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
    )
    record = [_record_line(n, t.encode()) for n, t in entries.items()]
    entries[f"{dist_info}/RECORD"] = "\n".join([*record, f"{dist_info}/RECORD,,"]) + "\n"
    path = directory / f"{name}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for entry, text in entries.items():
            archive.writestr(entry, text)
    return path


def failing_wheel(directory: Path, version: str) -> Path:
    """A release whose command line cannot start: it never reports healthy."""
    return make_wheel(
        directory,
        version,
        {
            "bianmin/__init__.py": "",
            "bianmin/cli.py": (
                "import sys\n\ndef main():\n"
                "    sys.exit('this build is broken: it cannot start the agent')\n"
            ),
        },
    )
