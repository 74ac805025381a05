"""The ingest writer: one batch (events, presence, heartbeats, dead letters, config reports)
in one transaction, so the consumer acknowledges exactly what was committed."""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import uuid
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, update
from sqlalchemy.exc import SQLAlchemyError

from hub.commands.outbox import record_results as record_command_results
from hub.feedback.service import KIND as FEEDBACK_KIND
from hub.feedback.service import from_events
from hub.ingest.references import to_current
from hub.ingest.sql import (
    EventRow,
    UnitBump,
    bump_units,
    drifting_clocks,
    insert_events,
    mark_cases_pending,
)
from hub.models import DeadLetter, Unit
from hub.notices.outbox import record_results
from hub.residents.late import record as record_late
from hub.residents.late import scrub as scrub_late
from hub.rollouts.reports import record_reports
from hub.window.idgen import Generations
from protocol.case import CaseState
from protocol.messages import CommandResult, ConfigReported

log = logging.getLogger("bianmin.hub.ingest")
UNITS = Unit.__table__  # type: ignore[attr-defined]
DEAD = DeadLetter.__table__  # type: ignore[attr-defined]


@dataclass
class IngestBatch:
    """Everything one commit writes: events, presence, heartbeats and dead letters."""

    events: dict[uuid.UUID, EventRow] = field(default_factory=dict)
    presence: dict[str, tuple[bool, datetime]] = field(default_factory=dict)
    health: dict[str, tuple[dict[str, Any], datetime, int | None]] = field(default_factory=dict)
    dead: list[dict[str, Any]] = field(default_factory=list)
    seen: dict[str, datetime] = field(default_factory=dict)
    # config/reported messages, recorded in the same transaction as everything else
    reports: list[tuple[str, ConfigReported]] = field(default_factory=list)
    # each heartbeat's clock offset (the unit's clock minus the hub's), and the threshold
    # beyond which an offset is drift (HubSettings.clock_drift_threshold_s)
    clocks: dict[str, float] = field(default_factory=dict)
    drift_s: float = 300.0
    # cmd/result messages: units' answers to notices (hub.notices), in the same transaction
    results: list[tuple[str, CommandResult]] = field(default_factory=list)
    # the reference generations units' references are carried through (hub.ingest.references)
    generations: Generations = field(default_factory=Generations)

    def online(self) -> set[str]:
        """Units that said they are online in this batch."""
        return {unit for unit, (online, _) in self.presence.items() if online}

    def drifts(self, offset: float) -> bool:
        return abs(offset) > self.drift_s

    def touch(self, unit: str, at: datetime) -> None:
        if unit not in self.seen or self.seen[unit] < at:
            self.seen[unit] = at


def write_ingest_batch(conn: Connection, batch: IngestBatch) -> set[uuid.UUID]:
    """Insert-or-ignore the events (the id is the key), update units, store dead letters.
    Returns the ids that were new. The caller commits."""
    # an erased resident's events that arrive late are stored without their reference
    late = scrub_late(conn, _flag_drift(conn, batch), batch.generations) if batch.events else None
    # then every reference left is stored at the hub's generation, untagged
    rows = to_current(late.rows, batch.generations) if late else []
    inserted = insert_events(conn, rows)
    if late and late.late:
        record_late(conn, late.late, {i: batch.events[i].unit for i in inserted})
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])  # events, cases, max seq
    for event_id in inserted:
        row = batch.events[event_id]
        c = counts[row.unit]
        c[0] += 1
        c[1] += row.state == CaseState.OPENED
        c[2] = max(c[2], row.seq)
    # the cases these events belong to are projected again (hub.cases), in a later
    # transaction: one statement here keeps the hot path cheap
    mark_cases_pending(conn, {r.case_id for i in inserted if (r := batch.events[i]).case_id})
    notes = [r for i in inserted if (r := batch.events[i]).kind == FEEDBACK_KIND]
    if notes:
        with _beside_events(conn, f"storing {len(notes)} feedback notes"):
            from_events(conn, notes, notes[0].received_at)
    bump_units(
        conn,
        [UnitBump(u, at, *counts.get(u, (0, 0, 0))) for u, at in batch.seen.items()],
    )
    # One executemany per kind rather than a statement (a round trip on PostgreSQL) per unit:
    # a county's heartbeats arrive by the hundred per batch.
    if batch.presence:
        conn.execute(
            update(UNITS).where(UNITS.c.id == bindparam("unit_id")),
            [{"unit_id": u, "online": online} for u, (online, _) in batch.presence.items()],
        )
    if batch.health:
        conn.execute(
            update(UNITS).where(UNITS.c.id == bindparam("unit_id")),
            [
                {
                    "unit_id": u,
                    "health": doc,
                    "health_at": at,
                    "config_version": version,
                    "clock_offset_s": batch.clocks.get(u),
                    "clock_drift": batch.drifts(batch.clocks.get(u, 0.0)),
                }
                for u, (doc, at, version) in batch.health.items()
            ],
        )
    if batch.dead:
        conn.execute(DEAD.insert(), batch.dead)
    if batch.reports:
        # reports lost this way are repaired by heartbeats (hub.rollouts.sweeps)
        with _beside_events(conn, f"recording {len(batch.reports)} config reports"):
            record_reports(conn, batch.reports, datetime.now(UTC))
    if batch.results:
        # an answer lost this way costs a republication, which the unit answers again
        with _beside_events(conn, f"recording {len(batch.results)} command results"):
            record_results(conn, batch.results, datetime.now(UTC))
            record_command_results(conn, batch.results, datetime.now(UTC))
    return inserted


@contextlib.contextmanager
def _beside_events(conn: Connection, what: str) -> Iterator[None]:
    """Write something derived in a savepoint of the batch's transaction: if it fails, it is
    logged and rolled back alone, and the batch's events (what must not be lost) commit."""
    try:
        with conn.begin_nested():
            yield
    except SQLAlchemyError:
        log.exception("%s failed; the batch's events are kept", what)


def _flag_drift(conn: Connection, batch: IngestBatch) -> list[EventRow]:
    """The batch's events, each flagged with its unit's clock offset when that unit's clock
    drifts: as its last stored heartbeat said, or a heartbeat in this batch (newer). An event
    already flagged by its own time (ahead of the hub's) keeps that."""
    offsets: dict[str, float | None] = dict(drifting_clocks(conn))
    for unit, beat in batch.clocks.items():
        offsets[unit] = beat if batch.drifts(beat) else None
    rows = []
    for row in batch.events.values():
        offset = offsets.get(row.unit)
        if offset is not None and row.clock_offset_s is None:
            row = dataclasses.replace(row, clock_offset_s=offset)
        rows.append(row)
    return rows


def commit_ingest_batch(engine: Engine, batch: IngestBatch) -> set[uuid.UUID]:
    with engine.begin() as conn:
        return write_ingest_batch(conn, batch)
