"""The unit's notices, durably: one SQLite file (``notices.sqlite3`` in the data directory),
one row per notice id, so a notice delivered twice is stored, shown and printed once.

Opened on first use: a simulated fleet of thousands of units in one process makes no files
for units that never get a notice. Writes run in a worker thread (they fsync); reads are
quick primary-key or index lookups and share the one connection under a lock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from edge.local_db import LocalDb
from protocol.notice import CaseNotice

_SCHEMA = """
CREATE TABLE IF NOT EXISTS notices (
    id TEXT PRIMARY KEY,
    case_id TEXT NOT NULL,
    case_ref TEXT NOT NULL,
    step TEXT NOT NULL,
    received_at TEXT NOT NULL,
    document BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS notices_received ON notices (received_at);
"""
FILE_NAME = "notices.sqlite3"


@dataclass(frozen=True)
class StoredNotice:
    notice: CaseNotice
    received_at: datetime


class NoticeInbox(LocalDb):
    SCHEMA = _SCHEMA

    def add(self, notice: CaseNotice, document: bytes) -> bool:
        """Store a verified notice with the signed bytes it came in; False if it was stored
        already. Blocking (it commits): call it from a worker thread."""
        with self._lock:
            cur = self._conn().execute(
                "INSERT OR IGNORE INTO notices (id, case_id, case_ref, step, received_at, "
                "document) VALUES (?, ?, ?, ?, ?, ?)",
                (
                    str(notice.id), str(notice.case_id), notice.case_ref, notice.step.value,
                    datetime.now(UTC).isoformat(), document,
                ),
            )  # fmt: skip
            return cur.rowcount == 1

    def get(self, notice_id: str) -> StoredNotice | None:
        if self._absent():
            return None
        with self._lock:
            row = (
                self._conn()
                .execute("SELECT document, received_at FROM notices WHERE id = ?", (notice_id,))
                .fetchone()
            )
        return None if row is None else _stored(row)

    def recent(self, limit: int = 50) -> list[StoredNotice]:
        """The latest notices, newest first."""
        if self._absent():
            return []
        with self._lock:
            rows = (
                self._conn()
                .execute(
                    "SELECT document, received_at FROM notices ORDER BY received_at DESC LIMIT ?",
                    (limit,),
                )
                .fetchall()
            )
        return [_stored(r) for r in rows]

    def count(self) -> int:
        if self._absent():
            return 0
        with self._lock:
            return int(self._conn().execute("SELECT count(*) FROM notices").fetchone()[0])


def _stored(row: tuple[bytes, str]) -> StoredNotice:
    # verified when it arrived; stored as received (the signed bytes)
    return StoredNotice(CaseNotice.model_validate_json(row[0]), datetime.fromisoformat(row[1]))
