"""What the fleet pages read from the database: the windows of an area as hub.fleet.view rows,
one unit's recent events and the rollouts it was in. Plain functions over a session; the
caller says which units the account's area covers (None: the whole county)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session

from hub.alerts.store import ALERTS
from hub.errors import UnitNotFound
from hub.fleet.view import UnitRow, fleet_rows, unit_row
from hub.models import Event, Unit
from hub.rollouts.models import Rollout, RolloutUnit, UnitConfig
from hub.rollouts.store import unit_configs
from hub.sql import chunks
from protocol.villages import VillageRegistry

UNITS = Unit.__table__  # type: ignore[attr-defined]
EVENTS = Event.__table__  # type: ignore[attr-defined]
ROLLOUTS = Rollout.__table__  # type: ignore[attr-defined]
RU = RolloutUnit.__table__  # type: ignore[attr-defined]
UC = UnitConfig.__table__  # type: ignore[attr-defined]


def _rows(session: Session, table: Any, key: Any, ids: Collection[str] | None) -> list[Any]:
    """Plain rows (no ORM objects: the fleet page reads every unit of the area)."""
    if ids is None:
        return list(session.execute(select(table)))
    out: list[Any] = []
    for part in chunks(sorted(ids)):
        out += session.execute(select(table).where(key.in_(list(part))))
    return out


def open_alert_counts(session: Session, ids: Collection[str] | None = None) -> dict[str, int]:
    """Open alerts per unit (rollout alerts are not a unit's)."""
    stmt = (
        select(ALERTS.c.subject, func.count())
        .where(ALERTS.c.cleared_at.is_(None), ALERTS.c.subject.not_like("rollout:%"))
        .group_by(ALERTS.c.subject)
    )
    counts = {str(s): int(n) for s, n in session.execute(stmt)}
    return counts if ids is None else {u: n for u, n in counts.items() if u in ids}


def area_fleet(
    session: Session,
    registry: VillageRegistry,
    *,
    area_units: frozenset[str] | None,
    now: datetime,
    stale_after_s: float,
) -> list[UnitRow]:
    """Every window of the area, town by town."""
    configs = {c.unit: c for c in _rows(session, UC, UC.c.unit, area_units)}
    return fleet_rows(
        registry,
        _rows(session, UNITS, UNITS.c.id, area_units),
        area_units=area_units,
        configs=configs,
        open_alerts=open_alert_counts(session, area_units),
        now=now,
        stale_after=timedelta(seconds=stale_after_s),
    )


def one_unit(
    session: Session,
    registry: VillageRegistry,
    unit_id: str,
    *,
    area_units: frozenset[str] | None,
    now: datetime,
    stale_after_s: float,
) -> UnitRow:
    """One window of the area; UnitNotFound for a unit outside it, as for one never known."""
    if area_units is not None and unit_id not in area_units:
        raise UnitNotFound(f"no unit {unit_id!r}")
    unit = session.get(Unit, unit_id)
    if unit is None and unit_id not in registry.unit_ids():
        raise UnitNotFound(f"no unit {unit_id!r}")
    configs = unit_configs(session, units=[unit_id])
    return unit_row(
        unit_id,
        unit,
        registry,
        config=configs[0] if configs else None,
        open_alerts=open_alert_counts(session, {unit_id}).get(unit_id, 0),
        now=now,
        stale_after=timedelta(seconds=stale_after_s),
    )


@dataclass(frozen=True)
class EventLine:
    seq: int
    ts: datetime
    received_at: datetime
    kind: str
    state: str | None
    matter_code: str | None
    case_id: str | None
    clock_offset_s: float | None


def unit_events(
    session: Session, unit_id: str, *, limit: int, offset: int
) -> tuple[int, list[EventLine]]:
    """The unit's events, newest first: (how many in all, this page). Kind, state and matter
    only: a body may hold what an applicant gave the window."""
    where = EVENTS.c.unit == unit_id
    total = session.execute(select(func.count()).select_from(EVENTS).where(where)).scalar_one()
    rows = session.execute(
        select(
            EVENTS.c.seq, EVENTS.c.ts, EVENTS.c.received_at, EVENTS.c.kind, EVENTS.c.state,
            EVENTS.c.matter_code, EVENTS.c.case_id, EVENTS.c.clock_offset_s,
        )
        .where(where)
        .order_by(EVENTS.c.seq.desc())
        .limit(limit)
        .offset(offset)
    )  # fmt: skip
    lines = [
        EventLine(
            seq=r.seq, ts=r.ts, received_at=r.received_at, kind=r.kind, state=r.state,
            matter_code=r.matter_code, case_id=str(r.case_id) if r.case_id else None,
            clock_offset_s=r.clock_offset_s,
        )
        for r in rows
    ]  # fmt: skip
    return int(total), lines


@dataclass(frozen=True)
class ConfigStep:
    """The unit in one rollout: which version it was issued and what became of it."""

    rollout_id: int
    kind: str  # rollout | rollback
    rollout_state: str
    note: str | None
    created_at: datetime
    created_by: str
    catalog_version: int | None
    state: str  # the unit's: pending, delivered, applied, rejected, timed_out
    version: int | None
    issued_at: datetime | None
    finished_at: datetime | None
    reason: str | None


def config_history(session: Session, unit_id: str, *, limit: int = 20) -> list[ConfigStep]:
    """The rollouts the unit was in, newest first."""
    rows = session.execute(
        select(
            RU.c.rollout_id, RU.c.state, RU.c.version, RU.c.issued_at, RU.c.finished_at,
            RU.c.reason, ROLLOUTS.c.kind, ROLLOUTS.c.state.label("rollout_state"),
            ROLLOUTS.c.note, ROLLOUTS.c.created_at, ROLLOUTS.c.created_by, ROLLOUTS.c.spec,
        )
        .join(ROLLOUTS, ROLLOUTS.c.id == RU.c.rollout_id)
        .where(RU.c.unit == unit_id)
        .order_by(RU.c.rollout_id.desc())
        .limit(limit)
    )  # fmt: skip
    return [
        ConfigStep(
            rollout_id=r.rollout_id, kind=r.kind, rollout_state=r.rollout_state, note=r.note,
            created_at=r.created_at, created_by=r.created_by,
            catalog_version=(r.spec or {}).get("catalog_version"), state=r.state,
            version=r.version, issued_at=r.issued_at, finished_at=r.finished_at, reason=r.reason,
        )
        for r in rows
    ]  # fmt: skip
