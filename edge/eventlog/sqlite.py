"""The durable event log: one SQLite file per unit (``outbox.sqlite3``), in WAL mode.

With ``durable=True`` every commit is fsynced (synchronous=FULL), which survives a power cut;
``durable=False`` (synchronous=NORMAL) still survives a killed process and is what simulators
use to run thousands of units on one disk. The schema is the one units have always written, so
an existing unit's file opens and resumes.

Two connections: the writer commits in a worker thread; the reader serves the link and the
window on the event loop. WAL readers never wait for the writer, so a read on the loop never
waits behind an fsync, and it only ever sees committed rows.
"""

from __future__ import annotations

import contextlib
import sqlite3
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TypeVar

from edge.eventlog.core import EventLogCore
from edge.eventlog.interface import StoredEvent
from edge.eventlog.storage import Row, Totals

_SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    ts TEXT NOT NULL,
    payload BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS delivered (
    id TEXT PRIMARY KEY,
    seq INTEGER NOT NULL,
    acked_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS delivered_acked_at ON delivered (acked_at);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS unit_state (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""
_COMMITTED = "SELECT id, seq FROM events UNION ALL SELECT id, seq FROM delivered"
_CHUNK = 500  # ids per IN (...) list, well under SQLite's variable limit
T = TypeVar("T")


def read_committed(path: Path) -> dict[str, int]:
    """Every event committed in an outbox file, id -> seq, read-only (the unit may be running)."""
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return dict(db.execute(_COMMITTED).fetchall())
    finally:
        db.close()


class SqliteEventLog(EventLogCore):
    def __init__(
        self,
        path: Path,
        unit: str,
        *,
        limit_bytes: int = 256 * 1024 * 1024,
        alarm_ratio: float = 0.8,
        durable: bool = True,
        ledger_days: float = 90.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.path = path
        super().__init__(
            SqliteStorage(path, durable=durable),
            unit,
            limit_bytes=limit_bytes,
            alarm_ratio=alarm_ratio,
            ledger_days=ledger_days,
            clock=clock,
        )


class SqliteStorage:
    """edge.eventlog.storage.Storage in one SQLite file."""

    blocking = True

    def __init__(self, path: Path, *, durable: bool) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        # check_same_thread=False: the writer is used by whichever commit thread runs the
        # write, one at a time (the log's write lock); the reader only on the event loop.
        self._writer = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._writer.execute("PRAGMA journal_mode=WAL")
        self._writer.execute(f"PRAGMA synchronous={'FULL' if durable else 'NORMAL'}")
        self._writer.executescript(_SCHEMA)
        self._reader = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._reader.execute("PRAGMA query_only=ON")

    def totals(self) -> Totals:
        db = self._writer
        row = db.execute("SELECT value FROM meta WHERE key = 'last_seq'").fetchone()
        max_seq = db.execute(
            "SELECT max(s) FROM (SELECT max(seq) s FROM events UNION ALL "
            "SELECT max(seq) FROM delivered)"
        ).fetchone()[0]
        depth, size = db.execute(
            "SELECT count(*), coalesce(sum(length(payload)), 0) FROM events"
        ).fetchone()
        # Never reuse a sequence number, even after every event was acknowledged and pruned.
        last_seq = max(int(row[0]) if row else 0, max_seq or 0)
        return Totals(last_seq=last_seq, depth=int(depth), size_bytes=int(size))

    # -- writes: in a commit thread --------------------------------------------------------

    def insert(self, rows: Sequence[Row], state: dict[str, str | None]) -> None:
        db = self._writer
        with _transaction(db):
            db.executemany(
                "INSERT INTO events (seq, id, ts, payload) VALUES (?, ?, ?, ?)",
                [(r.seq, r.id, r.ts, r.payload) for r in rows],
            )
            if rows:
                db.execute(
                    "INSERT INTO meta (key, value) VALUES ('last_seq', ?) "
                    "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                    (str(rows[-1].seq),),
                )
            _write_state(db, state)

    def delete(self, keys: Sequence[str], acked_at: float) -> tuple[int, int]:
        db = self._writer
        removed = freed = 0
        with _transaction(db):
            for chunk in _chunks(keys):
                marks = ",".join("?" * len(chunk))
                found = db.execute(
                    f"SELECT id, seq, length(payload) FROM events WHERE id IN ({marks})", chunk
                ).fetchall()
                if not found:
                    continue
                db.executemany(
                    "INSERT OR IGNORE INTO delivered (id, seq, acked_at) VALUES (?, ?, ?)",
                    [(i, s, acked_at) for i, s, _ in found],
                )
                db.execute(f"DELETE FROM events WHERE id IN ({marks})", chunk)
                removed += len(found)
                freed += sum(n for _, _, n in found)
        return removed, freed

    def write_state(self, state: dict[str, str | None]) -> None:
        with _transaction(self._writer):
            _write_state(self._writer, state)

    def prune(self, cutoff: float) -> int:
        with _transaction(self._writer):
            cur = self._writer.execute("DELETE FROM delivered WHERE acked_at < ?", (cutoff,))
        return cur.rowcount

    def close(self) -> None:
        self._reader.close()
        self._writer.close()  # the last connection: checkpoints the WAL, so in the thread

    # -- reads: on the event loop ----------------------------------------------------------

    def after(self, seq: int, limit: int) -> list[StoredEvent]:
        rows = self._reader.execute(
            "SELECT seq, id, payload FROM events WHERE seq > ? ORDER BY seq LIMIT ?", (seq, limit)
        ).fetchall()
        return [StoredEvent(s, i, p) for s, i, p in rows]

    def by_seqs(self, seqs: Sequence[int]) -> list[StoredEvent]:
        found: list[StoredEvent] = []
        for chunk in _chunks(seqs):
            marks = ",".join("?" * len(chunk))
            rows = self._reader.execute(
                f"SELECT seq, id, payload FROM events WHERE seq IN ({marks})", chunk
            ).fetchall()
            found.extend(StoredEvent(s, i, p) for s, i, p in rows)
        return sorted(found, key=lambda e: e.seq)

    def get_state(self, key: str) -> str | None:
        row = self._reader.execute("SELECT value FROM unit_state WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def committed(self) -> dict[str, int]:
        return dict(self._reader.execute(_COMMITTED).fetchall())

    def oldest_ts(self) -> str | None:
        row = self._reader.execute("SELECT ts FROM events ORDER BY seq LIMIT 1").fetchone()
        return None if row is None else str(row[0])


@contextlib.contextmanager
def _transaction(db: sqlite3.Connection) -> Iterator[None]:
    db.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")


def _write_state(db: sqlite3.Connection, state: dict[str, str | None]) -> None:
    for key, value in state.items():
        if value is None:
            db.execute("DELETE FROM unit_state WHERE key = ?", (key,))
        else:
            db.execute(
                "INSERT INTO unit_state (key, value) VALUES (?, ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (key, value),
            )


def _chunks(items: Sequence[T]) -> Iterator[Sequence[T]]:
    for i in range(0, len(items), _CHUNK):
        yield items[i : i + _CHUNK]
