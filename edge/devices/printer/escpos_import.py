"""Import python-escpos's printer classes without leaving a temporary directory behind.

escpos.capabilities (3.1) runs `environ.get("ESCPOS_CAPABILITIES_PICKLE_DIR", mkdtemp())`: the
default is evaluated first, so every process that imports it creates an empty /tmp/tmpXXXX even
when the variable is set. We set the variable (a cache dir of ours unless the caller chose one),
point mkdtemp at a scratch dir for the import, and remove the scratch dir afterwards.

The first import writes the capabilities pickle in place, unlocked: a second process importing
at that moment reads a half-written file ("EOFError: Ran out of input"), as parallel test
workers on a fresh checkout did. An exclusive lock on a file in the cache dir puts the imports
of all processes sharing it one after another.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import sys
import tempfile
import threading
from pathlib import Path

_lock = threading.Lock()


def default_pickle_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "bianmin" / "escpos"


def ensure_escpos() -> None:
    """Make sure escpos.capabilities is imported, without the temp-dir leak."""
    if "escpos.capabilities" in sys.modules:
        return
    with _lock:
        if "escpos.capabilities" in sys.modules:
            return
        if not os.environ.get("ESCPOS_CAPABILITIES_PICKLE_DIR"):  # unset or empty
            os.environ["ESCPOS_CAPABILITIES_PICKLE_DIR"] = str(default_pickle_dir())
        cache = Path(os.environ["ESCPOS_CAPABILITIES_PICKLE_DIR"])
        cache.mkdir(parents=True, exist_ok=True)
        with open(cache / ".import.lock", "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
            scratch = tempfile.mkdtemp(prefix="import-", dir=cache)
            saved = tempfile.tempdir
            tempfile.tempdir = scratch
            try:
                import escpos.capabilities  # noqa: F401
            finally:
                tempfile.tempdir = saved
                shutil.rmtree(scratch, ignore_errors=True)
