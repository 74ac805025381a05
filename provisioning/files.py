"""Writing provisioning's files whole or not at all: a temporary file, fsync, rename.

An interrupted `provision apply` must leave every file either as it was or as it should be, so
the next run can trust what it reads. Secrets are created 0600 from the first byte (never
chmod-ed after being written readable).
"""

from __future__ import annotations

import os
from pathlib import Path

PRIVATE = 0o600
PUBLIC = 0o644


def write_atomic(
    path: Path, data: str | bytes, mode: int = PUBLIC, *, sync_dir: bool = True
) -> None:
    """Replace ``path`` with ``data`` in one rename; a crash leaves the old file or the new.
    ``sync_dir=False`` when the caller syncs the directory itself after several files."""
    path.parent.mkdir(parents=True, exist_ok=True)
    raw = data.encode("utf-8") if isinstance(data, str) else data
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(raw)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)  # the umask may have narrowed it; never widened beyond `mode`
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    if sync_dir:
        fsync_dir(path.parent)


def write_private(path: Path, data: str | bytes, *, sync_dir: bool = True) -> None:
    """A secret: readable by its owner only."""
    write_atomic(path, data, PRIVATE, sync_dir=sync_dir)


def private_dir(path: Path) -> Path:
    """A directory only its owner may enter (the identity store)."""
    path.mkdir(parents=True, exist_ok=True)
    os.chmod(path, 0o700)
    return path


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
