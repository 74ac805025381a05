"""The units the hub knows: registered from the village registry or first heard from, with
their counters, presence and last heartbeat. Plain functions over a session."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlmodel import Session

from hub.errors import UnitNotFound
from hub.fleet.health import health_summary
from hub.models import Unit, UnitDetail, UnitPublic
from hub.paging import Page, fetch

UNITS = Unit.__table__  # type: ignore[attr-defined]


def _public(unit: Unit, now: datetime, stale_after: timedelta) -> dict[str, Any]:
    stale = unit.last_seen is None or now - unit.last_seen > stale_after
    return {
        **unit.model_dump(exclude={"health", "health_at"}),
        "stale": stale,
        **health_summary(unit.health),
    }


def list_units(
    session: Session,
    *,
    stale_after_s: float,
    units: Collection[str] | None = None,
    page: Page | None = None,
) -> list[UnitPublic]:
    """Units by id; only ``units`` when given (an area's: hub.accounts.area.units_in)."""
    now = datetime.now(UTC)
    stmt = select(Unit).order_by(UNITS.c.id)
    if units is not None:
        stmt = stmt.where(UNITS.c.id.in_(sorted(units)))
    rows = fetch(session, stmt, page)
    return [
        UnitPublic.model_validate(_public(r[0], now, timedelta(seconds=stale_after_s)))
        for r in rows
    ]


def get_unit(session: Session, *, unit_id: str, stale_after_s: float) -> UnitDetail:
    unit = session.get(Unit, unit_id)
    if unit is None:
        raise UnitNotFound(f"no unit {unit_id!r}")
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
