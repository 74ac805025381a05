"""The unit's small SQLite files (notices, commands): opened once, WAL, and fsynced on commit
when durable, because an answer the hub has seen must survive a power cut."""

from __future__ import annotations

import sqlite3
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
