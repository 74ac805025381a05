"""The commands this unit has done, durably: one SQLite file (``commands.sqlite3``), one row
per command id with its answer, so a command delivered again is answered again and never done
twice (a reboot, a rotation). Refusals are not kept: a forged copy must not spoil the real id.
Opened on first use, like the notice inbox."""

from __future__ import annotations

import json
import sqlite3
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from edge.local_db import open_local_db

FILE_NAME = "commands.sqlite3"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS commands (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    ok INTEGER NOT NULL,
    detail TEXT NOT NULL,
    data TEXT,
    done_at TEXT NOT NULL
);
"""


class CommandStore:
    def __init__(self, path: Path, *, durable: bool = True) -> None:
        self.path = path
        self.durable = durable
        self._db: sqlite3.Connection | None = None
        self._lock = threading.Lock()

    def _conn(self) -> sqlite3.Connection:
        if self._db is None:
            self._db = open_local_db(self.path, durable=self.durable, schema=_SCHEMA)
        return self._db

    def done(self, command_id: str) -> tuple[bool, str, dict[str, Any] | None] | None:
        """The answer given to ``command_id`` before, or None."""
        if self._db is None and not self.path.exists():
            return None
        with self._lock:
            row = (
                self._conn()
                .execute("SELECT ok, detail, data FROM commands WHERE id = ?", (command_id,))
                .fetchone()
            )
        if row is None:
            return None
        return bool(row[0]), str(row[1]), json.loads(row[2]) if row[2] else None

    def record(
        self, command_id: str, name: str, ok: bool, detail: str, data: dict[str, Any] | None
    ) -> None:
        """Keep the answer (blocking: it commits; call it from a worker thread)."""
        with self._lock:
            self._conn().execute(
                "INSERT OR IGNORE INTO commands (id, name, ok, detail, data, done_at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (command_id, name, int(ok), detail, json.dumps(data) if data else None,
                 datetime.now(UTC).isoformat()),
            )  # fmt: skip

    def close(self) -> None:
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None
