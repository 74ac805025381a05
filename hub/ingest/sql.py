"""The ingest hot path in plain SQL, one dialect each: one multi-row insert-or-ignore that
returns the new ids, and one upsert for every unit's counters, per batch.

The ORM route cost more in per-row parameter processing than the database spent storing the
rows, and updated units one statement (and, on PostgreSQL, one round trip) at a time. The
column formats written here are the ones SQLAlchemy reads back for the same tables
(hub/models.py): on SQLite, UUIDs as 32 hex digits and UTC datetimes as text.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from operator import attrgetter
from typing import Any

from sqlalchemy import Connection

EVENT_COLUMNS = (
    "id, unit, seq, ts, kind, case_id, state, matter_code, body, received_at, clock_offset_s"
)
_EVENT_FIELDS = 11
_SQLITE_MAX_VARIABLES = 32_000
_BY_INT = attrgetter("int")


@dataclass(slots=True)  # not frozen: a frozen dataclass's __init__ costs ~1 µs per event
class EventRow:
    id: uuid.UUID
    unit: str
    seq: int
    ts: datetime
    kind: str
    case_id: uuid.UUID | None
    state: str | None
    matter_code: str | None
    body_json: str
    received_at: datetime
    clock_offset_s: float | None = None  # set when the unit's clock drifts (Event.clock_offset_s)


@dataclass(frozen=True, slots=True)
class UnitBump:
    unit: str
    seen: datetime
    events: int
    cases: int
    max_seq: int


def _sqlite_time(value: datetime) -> str:
    """SQLAlchemy's SQLite DATETIME text, always with microseconds so text order is time
    order."""
    if value.tzinfo is not UTC:
        value = value.astimezone(UTC)
    text = value.replace(tzinfo=None).isoformat(" ")
    return text if value.microsecond else text + ".000000"


def insert_events(conn: Connection, rows: Sequence[EventRow]) -> set[uuid.UUID]:
    """Insert rows whose id is new; return those ids. Existing ids are left untouched."""
    if not rows:
        return set()
    if conn.dialect.name == "postgresql":
        return _insert_events_postgres(conn, rows)
    return _insert_events_sqlite(conn, rows)


def _insert_events_sqlite(conn: Connection, rows: Sequence[EventRow]) -> set[uuid.UUID]:
    inserted: set[uuid.UUID] = set()
    per_statement = _SQLITE_MAX_VARIABLES // _EVENT_FIELDS
    for start in range(0, len(rows), per_statement):
        chunk = rows[start : start + per_statement]
        params: list[object] = []
        received = _sqlite_time(chunk[0].received_at)  # one batch, one arrival time
        by_hex: dict[str, uuid.UUID] = {}  # RETURNING gives hex back: no UUID parsed again
        for r in chunk:
            hex_id = r.id.hex
            by_hex[hex_id] = r.id
            params += (
                hex_id,
                r.unit,
                r.seq,
                _sqlite_time(r.ts),
                r.kind,
                r.case_id.hex if r.case_id else None,
                r.state,
                r.matter_code,
                r.body_json,
                received if r.received_at is chunk[0].received_at else _sqlite_time(r.received_at),
                r.clock_offset_s,
            )
        values = ",".join(["(?,?,?,?,?,?,?,?,?,?,?)"] * len(chunk))
        result = conn.exec_driver_sql(
            f"INSERT INTO event ({EVENT_COLUMNS}) VALUES {values} "
            "ON CONFLICT (id) DO NOTHING RETURNING id",
            tuple(params),
        )
        inserted.update(by_hex[h] for (h,) in result)
    return inserted


_PG_STAGE = (
    "CREATE TEMP TABLE IF NOT EXISTS event_stage (id uuid, unit text, seq int8, "
    "ts timestamptz, kind text, case_id uuid, state text, matter_code text, body text, "
    "received_at timestamptz, clock_offset_s float8) ON COMMIT DELETE ROWS; "
    "CREATE TEMP TABLE IF NOT EXISTS unit_stage (id text, t timestamptz, n int8, c int8, "
    "s int8) ON COMMIT DELETE ROWS; "
    "CREATE TEMP TABLE IF NOT EXISTS pending_stage (case_id uuid) ON COMMIT DELETE ROWS"
)
_PG_EVENT_TYPES = [
    "uuid", "text", "int8", "timestamptz", "text", "uuid", "text", "text", "text", "timestamptz",
    "float8",
]  # fmt: skip


def _pg_cursor(conn: Connection) -> Any:
    """The psycopg cursor of this SQLAlchemy connection (same transaction), with the staging
    tables in place. Binary COPY into a staging table costs about a tenth of what sending the
    same rows as array parameters costs in psycopg's per-element dumping."""
    raw = conn.connection.driver_connection
    assert raw is not None
    cur = raw.cursor()
    cur.execute(_PG_STAGE)
    return cur


def _insert_events_postgres(conn: Connection, rows: Sequence[EventRow]) -> set[uuid.UUID]:
    cur = _pg_cursor(conn)
    with cur.copy(f"COPY event_stage ({EVENT_COLUMNS}) FROM STDIN (FORMAT BINARY)") as copy:
        copy.set_types(_PG_EVENT_TYPES)
        for r in rows:
            copy.write_row(
                (r.id, r.unit, r.seq, r.ts, r.kind, r.case_id, r.state, r.matter_code,
                 r.body_json, r.received_at, r.clock_offset_s)
            )  # fmt: skip
    cur.execute(
        f"INSERT INTO event ({EVENT_COLUMNS}) "
        "SELECT id, unit, seq, ts, kind, case_id, state, matter_code, body::json, received_at, "
        "clock_offset_s FROM event_stage ON CONFLICT (id) DO NOTHING RETURNING id"
    )
    inserted = {row[0] for row in cur.fetchall()}
    cur.execute("TRUNCATE event_stage")  # the transaction goes on: unit counters, dead letters
    return inserted


def mark_cases_pending(conn: Connection, case_ids: Iterable[uuid.UUID]) -> None:
    """hub.cases.project.mark_pending in plain SQL, the same rows and the same bump: a new row
    at generation 0, or an existing one's generation plus one. One statement per batch; the
    ids in order, so two processes take their row locks in the same order."""
    ids = sorted(set(case_ids), key=_BY_INT)  # C-level keys: UUID's own __lt__ is Python
    if not ids:
        return
    upsert = "ON CONFLICT (case_id) DO UPDATE SET gen = case_pending.gen + 1"
    if conn.dialect.name == "postgresql":
        cur = _pg_cursor(conn)
        with cur.copy("COPY pending_stage (case_id) FROM STDIN (FORMAT BINARY)") as copy:
            copy.set_types(["uuid"])
            for case_id in ids:
                copy.write_row((case_id,))
        cur.execute(
            "INSERT INTO case_pending (case_id, gen) SELECT case_id, 0 FROM pending_stage "
            f"ORDER BY case_id {upsert}"
        )
        cur.execute("TRUNCATE pending_stage")
        return
    per_statement = _SQLITE_MAX_VARIABLES
    for start in range(0, len(ids), per_statement):
        chunk = ids[start : start + per_statement]
        values = ",".join(["(?,0)"] * len(chunk))
        conn.exec_driver_sql(
            f"INSERT INTO case_pending (case_id, gen) VALUES {values} {upsert}",
            tuple(c.hex for c in chunk),
        )


def drifting_clocks(conn: Connection) -> dict[str, float]:
    """The units whose last heartbeat showed clock drift, with their offset: few or none, read
    through the partial index unit_clock_drift."""
    rows = conn.exec_driver_sql("SELECT id, clock_offset_s FROM unit WHERE clock_drift")
    return {unit: offset for unit, offset in rows if offset is not None}


def bump_units(conn: Connection, bumps: Iterable[UnitBump]) -> None:
    """Create unknown units and add each unit's new events in one statement; last_seen and
    last_seq only move forwards (old or resent messages must not rewind them)."""
    bumps = sorted(bumps, key=lambda b: b.unit)  # a stable lock order between processes
    if not bumps:
        return
    if conn.dialect.name == "postgresql":
        cur = _pg_cursor(conn)
        with cur.copy("COPY unit_stage (id, t, n, c, s) FROM STDIN (FORMAT BINARY)") as copy:
            copy.set_types(["text", "timestamptz", "int8", "int8", "int8"])
            for b in bumps:
                copy.write_row((b.unit, b.seen, b.events, b.cases, b.max_seq))
        cur.execute(
            "INSERT INTO unit (id, first_seen, last_seen, online, events, cases, last_seq) "
            "SELECT id, t, t, false, n, c, s FROM unit_stage "
            "ON CONFLICT (id) DO UPDATE SET "
            "events = unit.events + EXCLUDED.events, cases = unit.cases + EXCLUDED.cases, "
            "last_seq = GREATEST(unit.last_seq, EXCLUDED.last_seq), "
            "first_seen = COALESCE(unit.first_seen, EXCLUDED.first_seen), "
            "last_seen = GREATEST(COALESCE(unit.last_seen, EXCLUDED.last_seen), "
            "EXCLUDED.last_seen)"
        )
        cur.execute("TRUNCATE unit_stage")
        return
    per_statement = _SQLITE_MAX_VARIABLES // 6
    for start in range(0, len(bumps), per_statement):
        chunk = bumps[start : start + per_statement]
        params: list[object] = []
        for b in chunk:
            params += (b.unit, _sqlite_time(b.seen), _sqlite_time(b.seen), b.events, b.cases)
            params.append(b.max_seq)
        values = ",".join(["(?,?,?,0,?,?,?)"] * len(chunk))
        conn.exec_driver_sql(
            "INSERT INTO unit (id, first_seen, last_seen, online, events, cases, last_seq) "
            f"VALUES {values} ON CONFLICT (id) DO UPDATE SET "
            "events = events + excluded.events, cases = cases + excluded.cases, "
            "last_seq = max(last_seq, excluded.last_seq), "
            "first_seen = coalesce(first_seen, excluded.first_seen), "
            "last_seen = max(coalesce(last_seen, excluded.last_seen), excluded.last_seen)",
            tuple(params),
        )
