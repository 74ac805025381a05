"""Installing a release beside the running version: the wheel (already hash-checked against the
signed pointer) unpacked into its own directory under `versions/`, after checking that it is
the bianmin distribution of the signed version and that no entry escapes that directory.

The wheel is pure Python (`pip wheel --no-deps .`); its dependencies are the provisioned
install's, so the supervisor starts the new version with the provisioned interpreter and the
unpacked directory first on PYTHONPATH.
"""

from __future__ import annotations

import email.parser
import os
import re
import shutil
import zipfile
from pathlib import Path, PurePosixPath

from edge.errors import ReleaseInvalid
from protocol.software import DISTRIBUTION, SoftwareRelease

MAX_UNPACKED_BYTES = 512 * 1024 * 1024
MAX_ENTRIES = 20_000
COMPLETE = ".complete"


def install_dir(versions: Path, release: SoftwareRelease) -> Path:
    return versions / f"{release.version}-{release.artifact.sha256[:12]}"


def install_wheel(wheel: Path, release: SoftwareRelease, versions: Path) -> Path:
    """Unpack ``wheel`` into its versioned directory (once: a complete one is reused) and
    return it. ReleaseInvalid when it is not the signed version of bianmin."""
    target = install_dir(versions, release)
    if (target / COMPLETE).exists():
        return target
    versions.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    try:
        with zipfile.ZipFile(wheel) as archive:
            _check(archive, release)
            for info in archive.infolist():
                if info.is_dir() or _skipped(info.filename):
                    continue
                dest = partial / info.filename
                dest.parent.mkdir(parents=True, exist_ok=True)
                with archive.open(info) as src, open(dest, "wb") as out:
                    shutil.copyfileobj(src, out)
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        shutil.rmtree(partial, ignore_errors=True)
        raise ReleaseInvalid(f"cannot unpack the wheel: {exc}") from None
    except ReleaseInvalid:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    (partial / COMPLETE).write_text(release.version, encoding="utf-8")
    shutil.rmtree(target, ignore_errors=True)
    os.replace(partial, target)
    return target


def _skipped(name: str) -> bool:
    # scripts and headers (`NAME.data/`) are not needed: the supervisor runs the package
    return bool(re.match(r"^[^/]+\.data/", name))


def _check(archive: zipfile.ZipFile, release: SoftwareRelease) -> None:
    infos = archive.infolist()
    if len(infos) > MAX_ENTRIES:
        raise ReleaseInvalid(f"the wheel has {len(infos)} entries (at most {MAX_ENTRIES})")
    total = 0
    for info in infos:
        path = PurePosixPath(info.filename)
        if path.is_absolute() or ".." in path.parts or "\\" in info.filename:
            raise ReleaseInvalid(f"the wheel's entry {info.filename!r} leaves its directory")
        if (info.external_attr >> 16) & 0o170000 == 0o120000:
            raise ReleaseInvalid(f"the wheel's entry {info.filename!r} is a symbolic link")
        total += info.file_size
    if total > MAX_UNPACKED_BYTES:
        raise ReleaseInvalid(f"the wheel unpacks to {total} bytes (at most {MAX_UNPACKED_BYTES})")
    dist_info = f"{DISTRIBUTION}-{release.version}.dist-info/METADATA"
    try:
        metadata = archive.read(dist_info).decode("utf-8")
    except KeyError:
        raise ReleaseInvalid(
            f"the wheel has no {dist_info}: not bianmin {release.version}"
        ) from None
    headers = email.parser.Parser().parsestr(metadata, headersonly=True)
    name, version = headers.get("Name", ""), headers.get("Version", "")
    if name.lower() != DISTRIBUTION or version != release.version:
        raise ReleaseInvalid(
            f"the wheel is {name} {version}, the signed release is bianmin {release.version}"
        )
