"""The commands this unit has done, durably: one SQLite file (``commands.sqlite3``), one row
per command id with its answer, so a command delivered again is answered again and never done
twice (a reboot, a rotation). Refusals are not kept: a forged copy must not spoil the real id.
Opened on first use, like the notice inbox."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from edge.local_db import LocalDb

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


class CommandStore(LocalDb):
    SCHEMA = _SCHEMA

    def done(self, command_id: str) -> tuple[bool, str, dict[str, Any] | None] | None:
        """The answer given to ``command_id`` before, or None."""
        if self._absent():
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
