"""The unit's small SQLite files (notices, commands): opened once, WAL, and fsynced on commit
when durable, because an answer the hub has seen must survive a power cut."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path


def open_local_db(path: Path, *, durable: bool, schema: str) -> sqlite3.Connection:
    """Open (creating it and its folder) the file at ``path`` in autocommit mode, shared by the
    caller's threads under its own lock, with ``schema`` applied."""
    path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute(f"PRAGMA synchronous={'FULL' if durable else 'NORMAL'}")
    db.executescript(schema)
    return db


class LocalDb:
    """One such file, opened on first use (a simulated fleet of thousands of units in one
    process makes no files for units that never need one) and shared under one lock."""

    SCHEMA = ""

    def __init__(self, path: Path, *, durable: bool = True) -> None:
        self.path = path
        self.durable = durable
        self._db: sqlite3.Connection | None = None
        self._lock = threading.Lock()

    def _conn(self) -> sqlite3.Connection:
        if self._db is None:
            self._db = open_local_db(self.path, durable=self.durable, schema=self.SCHEMA)
        return self._db

    def _absent(self) -> bool:
        """Nothing was ever written: a read need not create the file."""
        return self._db is None and not self.path.exists()

    def close(self) -> None:
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None
