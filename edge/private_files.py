"""The unit's data directory is the unit's alone: 0700, and every file in it 0600.

It holds the outbox of cases, the archived signatures, the face templates, keys and configs.
A unit is a small Linux machine others may log in to (a technician, a service); nothing there
should be readable by another account. ``edge run`` sets the umask to 077 before anything is
written, and every start checks the tree: a looser mode (a file copied in by hand, a directory
restored from a backup) is tightened and logged, so the fix is visible and not silent."""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

log = logging.getLogger("bianmin.edge.files")

PRIVATE_UMASK = 0o077
DIR_MODE = 0o700
FILE_MODE = 0o600


def private_umask() -> int:
    """Make files this process creates private from now on; returns the previous umask."""
    return os.umask(PRIVATE_UMASK)


def secure_data_dir(root: Path) -> list[Path]:
    """Create ``root`` 0700 if missing, then make every directory under it 0700 and every
    file 0600 (symbolic links are left alone: their targets are not ours to change). Returns
    the paths whose mode was too loose, each logged as a warning."""
    root.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    fixed: list[Path] = []
    for path in (root, *root.rglob("*")):
        st = path.lstat()
        if stat.S_ISLNK(st.st_mode):
            continue
        wanted = DIR_MODE if stat.S_ISDIR(st.st_mode) else FILE_MODE
        if stat.S_IMODE(st.st_mode) & ~wanted:
            log.warning(
                "%s was mode %o, readable beyond this unit's account: set to %o",
                path, stat.S_IMODE(st.st_mode), wanted,
            )  # fmt: skip
            try:
                os.chmod(path, wanted)
            except OSError as exc:  # not ours (copied in as another user): say so, go on
                log.error("%s stays mode %o: %s", path, stat.S_IMODE(st.st_mode), exc)
                continue
            fixed.append(path)
    return fixed
