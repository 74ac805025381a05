"""Refuse a workbook cheaply before openpyxl opens it: an .xlsx is a zip, and a zip can claim
to hold gigabytes (a zip bomb), or a shared-strings part openpyxl would load whole even in
read-only mode. Only the zip's central directory is read here, never the parts. The sizes it
declares are binding: Python's zipfile stops inflating a part at its declared size (and then
fails its CRC), so a part cannot lie its way past these bounds."""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass

from hub.catalog.errors import Issue, WorkbookUnreadable

KiB = 1024
MiB = 1024 * KiB


@dataclass(frozen=True)
class WorkbookLimits:
    # the seed's 139 matters export to about 60 KB; a county's real list is a few times that
    max_bytes: int = 4 * MiB
    max_parts: int = 64
    # every part inflated, and the shared strings alone (loaded whole by openpyxl)
    max_unpacked_bytes: int = 64 * MiB
    max_shared_strings_bytes: int = 16 * MiB
    # a part that inflates more than this many times its packed size is a bomb, not a sheet
    max_ratio: int = 200
    max_cell_chars: int = 2000


LIMITS = WorkbookLimits()


def _refuse(source: str, reason: str) -> WorkbookUnreadable:
    return WorkbookUnreadable(
        source,
        [Issue("(file)", reason, sheet="", code="workbook_refused", reason_zh=_zh(reason))],
    )


def _zh(reason: str) -> str:
    return f"无法读取该工作簿：{reason}"


def check_workbook_bytes(data: bytes, source: str, limits: WorkbookLimits = LIMITS) -> None:
    """Raise WorkbookUnreadable unless ``data`` is a zip whose parts stay within ``limits``."""
    if len(data) > limits.max_bytes:
        raise _refuse(source, f"{len(data)} bytes, over the limit of {limits.max_bytes}")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            parts = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError):
        raise _refuse(source, "not an .xlsx workbook (not a zip file)") from None
    if len(parts) > limits.max_parts:
        raise _refuse(source, f"{len(parts)} parts, over the limit of {limits.max_parts}")
    total = 0
    for part in parts:
        total += part.file_size
        if part.file_size > max(part.compress_size, 1) * limits.max_ratio and (
            part.file_size > MiB
        ):
            raise _refuse(source, f"part {part.filename!r} inflates too far (a zip bomb?)")
        if part.filename.lower() == "xl/sharedstrings.xml" and (
            part.file_size > limits.max_shared_strings_bytes
        ):
            raise _refuse(source, f"shared strings of {part.file_size} bytes, over the limit")
    if total > limits.max_unpacked_bytes:
        raise _refuse(source, f"{total} bytes unpacked, over the limit")
