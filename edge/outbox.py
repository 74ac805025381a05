"""The unit's durable outbox: every event is committed here before the clerk is told a step
is done, and stays until the hub acknowledges it.

SQLite in WAL mode. With ``durable=True`` each append is fsynced (synchronous=FULL), which is
what survives a power cut; ``durable=False`` (synchronous=NORMAL) still survives a killed
process and is what simulators use to run thousands of units on one disk.

Which events are in flight is kept in memory on purpose: after a restart every unacknowledged
event must be sent again anyway, so persisting "sent" marks would double the writes for nothing.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from uuid import UUID

from edge.errors import OutboxFull
from protocol.ids import uuid7
from protocol.messages import CaseEnvelope, CaseTransition, OutboxHealth

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


@dataclass(frozen=True, slots=True)
class PendingEvent:
    seq: int
    id: str
    payload: bytes


def read_committed(path: Path) -> dict[str, int]:
    """Every event committed in an outbox file, id -> seq, read-only (the unit may be running)."""
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return dict(db.execute(_COMMITTED).fetchall())
    finally:
        db.close()


class Outbox:
    def __init__(
        self,
        path: Path,
        unit: str,
        *,
        limit_bytes: int = 256 * 1024 * 1024,
        alarm_ratio: float = 0.8,
        durable: bool = True,
        ledger_days: float = 90.0,
    ) -> None:
        self.path = path
        self.unit = unit
        self.limit_bytes = limit_bytes
        self.alarm_ratio = alarm_ratio
        self.ledger_days = ledger_days
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(f"PRAGMA synchronous={'FULL' if durable else 'NORMAL'}")
        self._db.executescript(_SCHEMA)
        row = self._db.execute("SELECT value FROM meta WHERE key = 'last_seq'").fetchone()
        max_seq = self._db.execute(
            "SELECT max(s) FROM (SELECT max(seq) s FROM events UNION ALL "
            "SELECT max(seq) FROM delivered)"
        ).fetchone()[0]
        # Never reuse a sequence number, even after every event was acknowledged and pruned.
        self._last_seq = max(int(row[0]) if row else 0, max_seq or 0)
        total = self._db.execute("SELECT coalesce(sum(length(payload)), 0) FROM events")
        self._bytes = int(total.fetchone()[0])
        self._depth = int(self._db.execute("SELECT count(*) FROM events").fetchone()[0])
        self._send_cursor = 0  # highest seq handed out since the last requeue
        self._in_flight: dict[str, tuple[int, float]] = {}  # id -> (seq, sent_at)
        self._resend: list[int] = []  # seqs to send again, oldest first
        self.prune_ledger()

    # -- writing ----------------------------------------------------------------------------

    def append(
        self,
        body: CaseTransition,
        ts: datetime | None = None,
        *,
        state: Mapping[str, str | None] | None = None,
    ) -> CaseEnvelope:
        """Commit one event durably and return its envelope; raise OutboxFull at the limit.
        ``state`` rows (key -> value, None deletes) commit in the same transaction, so the
        unit's own snapshot of a case and the event that moved it are never split."""
        return self.append_many([body], ts, state=state)[0]

    def append_many(
        self,
        bodies: Iterable[CaseTransition],
        ts: datetime | None = None,
        *,
        state: Mapping[str, str | None] | None = None,
    ) -> list[CaseEnvelope]:
        stamp = ts or datetime.now(UTC)
        envelopes: list[CaseEnvelope] = []
        rows: list[tuple[int, str, str, bytes]] = []
        seq = self._last_seq
        size = 0
        for body in bodies:
            seq += 1
            env = CaseEnvelope(id=uuid7(), unit=self.unit, seq=seq, ts=stamp, body=body)
            payload = env.model_dump_json().encode("utf-8")
            size += len(payload)
            envelopes.append(env)
            rows.append((seq, str(env.id), env.ts.isoformat(), payload))
        if self._bytes + size > self.limit_bytes:
            raise OutboxFull(
                f"outbox holds {self._bytes} bytes; {size} more would pass the limit of "
                f"{self.limit_bytes}: the hub has not acknowledged events for a long time"
            )
        with self._transaction():
            self._db.executemany(
                "INSERT INTO events (seq, id, ts, payload) VALUES (?, ?, ?, ?)", rows
            )
            self._db.execute(
                "INSERT INTO meta (key, value) VALUES ('last_seq', ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (str(seq),),
            )
            self._write_state(state or {})
        self._last_seq = seq
        self._bytes += size
        self._depth += len(rows)
        return envelopes

    def acknowledge(self, ids: Iterable[UUID | str]) -> int:
        """Forget events the hub has committed; remember their ids in the ledger. Returns how
        many were still pending (duplicate acks are harmless)."""
        keys = list({str(i) for i in ids})
        if not keys:
            return 0
        now = time.time()
        removed = 0
        freed = 0
        with self._transaction():
            for chunk in _chunks(keys, 500):
                marks = ",".join("?" * len(chunk))
                found = self._db.execute(
                    f"SELECT id, seq, length(payload) FROM events WHERE id IN ({marks})", chunk
                ).fetchall()
                if not found:
                    continue
                self._db.executemany(
                    "INSERT OR IGNORE INTO delivered (id, seq, acked_at) VALUES (?, ?, ?)",
                    [(i, s, now) for i, s, _ in found],
                )
                self._db.execute(f"DELETE FROM events WHERE id IN ({marks})", chunk)
                removed += len(found)
                freed += sum(n for _, _, n in found)
        for key in keys:
            self._in_flight.pop(key, None)
        self._depth -= removed
        self._bytes -= freed
        return removed

    def put_state(self, state: Mapping[str, str | None]) -> None:
        """Write unit state rows without an event (progress that is not a case transition)."""
        with self._transaction():
            self._write_state(state)

    def get_state(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM unit_state WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def _write_state(self, state: Mapping[str, str | None]) -> None:
        for key, value in state.items():
            if value is None:
                self._db.execute("DELETE FROM unit_state WHERE key = ?", (key,))
            else:
                self._db.execute(
                    "INSERT INTO unit_state (key, value) VALUES (?, ?) "
                    "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                    (key, value),
                )

    def prune_ledger(self) -> int:
        cutoff = time.time() - self.ledger_days * 86400
        with self._transaction():
            cur = self._db.execute("DELETE FROM delivered WHERE acked_at < ?", (cutoff,))
        return cur.rowcount

    # -- sending ----------------------------------------------------------------------------

    def next_batch(self, max_events: int, max_bytes: int) -> list[PendingEvent]:
        """Events to send now, oldest first: expired resends, then events never sent."""
        batch: list[PendingEvent] = []
        size = 0
        while self._resend and len(batch) < max_events:
            # one query per batch of resends, not one per event (a reconnect resends them all)
            wanted = self._resend[: max_events - len(batch)]
            marks = ",".join("?" * len(wanted))
            resent = self._db.execute(
                f"SELECT seq, id, payload FROM events WHERE seq IN ({marks})", wanted
            )
            found = {seq: (id_, payload) for seq, id_, payload in resent}
            for seq in wanted:
                row = found.get(seq)
                if row is not None:  # else acknowledged meanwhile: just drop it from the line
                    if batch and size + len(row[1]) > max_bytes:
                        return batch
                    batch.append(PendingEvent(seq, row[0], row[1]))
                    size += len(row[1])
                del self._resend[0]
        if len(batch) >= max_events:
            return batch
        rows = self._db.execute(
            "SELECT seq, id, payload FROM events WHERE seq > ? ORDER BY seq LIMIT ?",
            (self._send_cursor, max_events - len(batch)),
        ).fetchall()
        for seq, id_, payload in rows:
            if batch and size + len(payload) > max_bytes:
                break
            batch.append(PendingEvent(seq, id_, payload))
            size += len(payload)
            self._send_cursor = seq
        return batch

    def mark_sent(self, events: Iterable[PendingEvent], now: float | None = None) -> None:
        at = time.monotonic() if now is None else now
        for e in events:
            self._in_flight[e.id] = (e.seq, at)

    def requeue_expired(self, older_than_s: float, now: float | None = None) -> int:
        """Events sent longer ago than ``older_than_s`` without an ack go back in line."""
        at = time.monotonic() if now is None else now
        expired = [
            (seq, i) for i, (seq, sent) in self._in_flight.items() if at - sent > older_than_s
        ]
        self._requeue(expired)
        return len(expired)

    def requeue_all(self) -> int:
        """After a reconnect nothing in flight can be trusted to arrive: send it all again."""
        expired = [(seq, i) for i, (seq, _) in self._in_flight.items()]
        self._requeue(expired)
        return len(expired)

    def _requeue(self, expired: list[tuple[int, str]]) -> None:
        for _, key in expired:
            del self._in_flight[key]
        if expired:
            self._resend = sorted(set(self._resend) | {seq for seq, _ in expired})

    @property
    def in_flight(self) -> int:
        return len(self._in_flight)

    # -- inspection -------------------------------------------------------------------------

    @property
    def depth(self) -> int:
        return self._depth

    @property
    def last_seq(self) -> int:
        return self._last_seq

    def health(self) -> OutboxHealth:
        oldest = self._db.execute("SELECT ts FROM events ORDER BY seq LIMIT 1").fetchone()
        age = None
        if oldest is not None:
            age = max(0.0, (datetime.now(UTC) - datetime.fromisoformat(oldest[0])).total_seconds())
        return OutboxHealth(
            depth=self._depth,
            bytes=self._bytes,
            limit_bytes=self.limit_bytes,
            oldest_age_s=age,
            alarm=self._bytes >= self.alarm_ratio * self.limit_bytes,
        )

    def committed(self) -> dict[str, int]:
        """Every event this unit ever committed (pending or acknowledged), id -> seq."""
        return dict(self._db.execute(_COMMITTED).fetchall())

    def close(self) -> None:
        self._db.close()

    def _transaction(self) -> _Tx:
        return _Tx(self._db)


class _Tx:
    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def __enter__(self) -> None:
        self.db.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type: object, *rest: object) -> None:
        self.db.execute("ROLLBACK" if exc_type else "COMMIT")


def _chunks(items: list[str], size: int) -> Iterable[list[str]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]
