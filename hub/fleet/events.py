"""What the hub holds from its units: event references (for the simulators' end-to-end
checks), the fleet's totals (dead letters counted for everyone) and the dead letters
themselves (for auditors). Plain functions over a session."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence

from sqlalchemy import Connection, case, func, select
from sqlmodel import Session

from hub.ingest.deadletter import preview
from hub.models import DeadLetter, DeadLetterPublic, Event, EventRef, Unit
from hub.paging import Page, fetch

EVENTS = Event.__table__  # type: ignore[attr-defined]
UNITS = Unit.__table__  # type: ignore[attr-defined]
DEAD = DeadLetter.__table__  # type: ignore[attr-defined]


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


def totals(session: Session, *, units: frozenset[str] | None = None) -> dict[str, int]:
    """Units, online, events, cases and dead letters; of ``units`` only when given (an account's
    area: dead letters naming no unit are the county's)."""
    unit_where = [] if units is None else [UNITS.c.id.in_(sorted(units))]
    event_where = [] if units is None else [EVENTS.c.unit.in_(sorted(units))]
    dead_where = [] if units is None else [DEAD.c.unit.in_(sorted(units))]
    units_n, online = session.execute(
        select(func.count(), func.coalesce(func.sum(case((UNITS.c.online, 1), else_=0)), 0)).where(
            *unit_where
        )
    ).one()
    events = session.execute(
        select(func.count()).select_from(EVENTS).where(*event_where)
    ).scalar_one()
    cases = session.execute(
        select(func.coalesce(func.sum(UNITS.c.cases), 0)).where(*unit_where)
    ).scalar_one()
    dead = session.execute(select(func.count()).select_from(DEAD).where(*dead_where)).scalar_one()
    return {
        "units": int(units_n),
        "online": int(online),
        "events": int(events),
        "cases": int(cases),
        "dead_letters": int(dead),
    }


def recent_dead_letters(
    session: Session,
    *,
    limit: int = 50,
    offset: int = 0,
    units: Collection[str] | None = None,
    page: Page | None = None,
) -> list[DeadLetterPublic]:
    """The newest dead letters, for auditors only: a prefix may hold personal data. Only
    those of ``units`` when given (an area's; one from no known unit is the county's)."""
    stmt = select(DEAD).order_by(DEAD.c.id.desc())
    if units is not None:
        stmt = stmt.where(DEAD.c.unit.in_(sorted(units)))
    rows = fetch(session, stmt if page else stmt.limit(limit).offset(offset), page)
    return [
        DeadLetterPublic.model_validate(
            {**row._mapping, "payload_preview": preview(row.payload_prefix)}
        )
        for row in rows
    ]
