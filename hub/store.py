"""Persistence functions of the hub: plain functions over a connection or session, keyword
arguments, no web or MQTT knowledge."""

from __future__ import annotations

import logging
import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, case, func, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from hub.ingest_sql import EventRow, UnitBump, bump_units, insert_events
from hub.models import DeadLetter, DeadLetterPublic, Event, EventRef, Unit, UnitDetail, UnitPublic
from hub.rollouts.reports import record_reports
from protocol.case import CaseState
from protocol.labels import DEVICE_LABELS, PAPER_LABELS, PAPER_PROBLEMS
from protocol.messages import ConfigReported

log = logging.getLogger("bianmin.hub.store")
EVENTS = Event.__table__  # type: ignore[attr-defined]
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

    def touch(self, unit: str, at: datetime) -> None:
        if unit not in self.seen or self.seen[unit] < at:
            self.seen[unit] = at


def write_ingest_batch(conn: Connection, batch: IngestBatch) -> set[uuid.UUID]:
    """Insert-or-ignore the events (the id is the key), update units, store dead letters.
    Returns the ids that were new. The caller commits."""
    inserted = insert_events(conn, list(batch.events.values()))
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])  # events, cases, max seq
    for event_id in inserted:
        row = batch.events[event_id]
        c = counts[row.unit]
        c[0] += 1
        c[1] += row.state == CaseState.OPENED
        c[2] = max(c[2], row.seq)
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
                {"unit_id": u, "health": doc, "health_at": at, "config_version": version}
                for u, (doc, at, version) in batch.health.items()
            ],
        )
    if batch.dead:
        conn.execute(DEAD.insert(), batch.dead)
    if batch.reports:
        try:
            # A savepoint: a failure here must never cost the batch its events. Reports
            # lost this way are repaired by heartbeats (hub.rollouts.issue).
            with conn.begin_nested():
                record_reports(conn, batch.reports, datetime.now(UTC))
        except SQLAlchemyError:
            log.exception("recording %d config reports failed", len(batch.reports))
    return inserted


def commit_ingest_batch(engine: Engine, batch: IngestBatch) -> set[uuid.UUID]:
    with engine.begin() as conn:
        return write_ingest_batch(conn, batch)


# -- reads ----------------------------------------------------------------------------------


def device_problems(health: dict[str, Any] | None) -> list[str]:
    """Short Chinese notes on the devices that need someone at the window, from a heartbeat."""
    out = []
    for name, status in sorted(((health or {}).get("devices") or {}).items()):
        if not isinstance(status, dict):
            continue
        label = DEVICE_LABELS.get(name, name)
        paper = status.get("paper")
        if paper in PAPER_PROBLEMS:
            out.append(f"{label}{PAPER_LABELS[paper]}")
        elif not status.get("ok", True):
            out.append(f"{label}异常" if status.get("present", True) else f"{label}未连接")
    return out


def _public(unit: Unit, now: datetime, stale_after: timedelta) -> dict[str, Any]:
    health = unit.health or {}
    outbox = health.get("outbox") or {}
    stale = unit.last_seen is None or now - unit.last_seen > stale_after
    printer = (health.get("devices") or {}).get("printer") or {}
    return {
        **unit.model_dump(exclude={"health", "health_at"}),
        "stale": stale,
        "outbox_depth": outbox.get("depth"),
        "outbox_alarm": bool(outbox.get("alarm", False)),
        "paper": printer.get("paper") if isinstance(printer, dict) else None,
        "device_problems": device_problems(health),
    }


def list_units(session: Session, *, stale_after_s: float) -> list[UnitPublic]:
    now = datetime.now(UTC)
    rows = session.execute(select(Unit).order_by(UNITS.c.id)).scalars()
    return [
        UnitPublic.model_validate(_public(u, now, timedelta(seconds=stale_after_s))) for u in rows
    ]


def get_unit(session: Session, *, unit_id: str, stale_after_s: float) -> UnitDetail | None:
    unit = session.get(Unit, unit_id)
    if unit is None:
        return None
    data = _public(unit, datetime.now(UTC), timedelta(seconds=stale_after_s))
    return UnitDetail.model_validate({**data, "health": unit.health, "health_at": unit.health_at})


def register_units(session: Session, *, units: Iterable[tuple[str, str | None, str | None]]) -> int:
    """Create (or rename) units from a registry: (id, name, division)."""
    n = 0
    for unit_id, name, division in units:
        row = session.get(Unit, unit_id) or Unit(id=unit_id)
        row.name, row.division = name, division
        session.add(row)
        n += 1
    session.commit()
    return n


def event_refs(
    session: Session, *, unit_id: str, after_seq: int = 0, limit: int = 10_000
) -> list[EventRef]:
    stmt = (
        select(EVENTS.c.id, EVENTS.c.seq)
        .where(EVENTS.c.unit == unit_id, EVENTS.c.seq > after_seq)
        .order_by(EVENTS.c.seq)
        .limit(limit)
    )
    return [EventRef(id=r.id, seq=r.seq) for r in session.execute(stmt)]


def all_event_ids(
    conn: Connection | Session, *, units: Sequence[str] | None = None
) -> list[tuple[str, uuid.UUID, int]]:
    stmt = select(EVENTS.c.unit, EVENTS.c.id, EVENTS.c.seq)
    if units is not None:
        stmt = stmt.where(EVENTS.c.unit.in_(list(units)))
    return [(r.unit, r.id, r.seq) for r in conn.execute(stmt)]


def totals(session: Session) -> dict[str, int]:
    units, online = session.execute(
        select(func.count(), func.coalesce(func.sum(case((UNITS.c.online, 1), else_=0)), 0))
    ).one()
    events = session.execute(select(func.count()).select_from(EVENTS)).scalar_one()
    cases = session.execute(select(func.coalesce(func.sum(UNITS.c.cases), 0))).scalar_one()
    dead = session.execute(select(func.count()).select_from(DEAD)).scalar_one()
    return {
        "units": int(units),
        "online": int(online),
        "events": int(events),
        "cases": int(cases),
        "dead_letters": int(dead),
    }


def recent_dead_letters(session: Session, *, limit: int = 50) -> list[DeadLetterPublic]:
    rows = session.execute(select(DeadLetter).order_by(DeadLetter.id.desc()).limit(limit))  # type: ignore[union-attr]
    out = []
    for (d,) in rows:
        preview = d.payload[:200].decode("utf-8", errors="replace")
        out.append(
            DeadLetterPublic.model_validate(
                {**d.model_dump(exclude={"payload"}), "payload_preview": preview}
            )
        )
    return out
