"""The overview (/): the account's area at a glance — windows online and not, open alerts by
kind with how long, today's cases and good-rating rate, rollouts under way, dead letters."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import Connection, case, func, select

from hub.accounts.area import units_in
from hub.accounts.auth import Viewer
from hub.accounts.roles import Role
from hub.alerts.query import area_filter, open_by_kind
from hub.cases.tables import CaseRecord
from hub.deps import RegistryDep, SessionDep, SettingsDep, hub_now
from hub.fleet import board
from hub.fleet.events import totals
from hub.fleet.pages import words
from hub.fleet.view import Presence, town_counts
from hub.rollouts import area
from hub.rollouts.models import ACTIVE
from hub.sql import chunks
from hub.web.pages import page
from protocol.calendar import CHINA
from protocol.labels import GOOD_RATINGS

router = APIRouter()
RECORDS = CaseRecord.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Today:
    cases: int
    rated: int
    good: int

    @property
    def good_rate(self) -> float | None:
        return self.good / self.rated if self.rated else None


def cases_today(conn: Connection, area_units: frozenset[str] | None, now: datetime) -> Today:
    """Cases opened since local midnight, and their ratings (好评: 非常满意 and 满意)."""
    midnight = datetime.combine(now.astimezone(CHINA).date(), time(), tzinfo=CHINA)
    good = case((RECORDS.c.rating.in_(sorted(GOOD_RATINGS)), 1), else_=0)
    stmt = select(
        func.count(), func.count(RECORDS.c.rating), func.coalesce(func.sum(good), 0)
    ).where(RECORDS.c.opened_at >= midnight)
    if area_units is None:
        n, rated, good_n = conn.execute(stmt).one()
        return Today(int(n), int(rated), int(good_n))
    n = rated = good_n = 0
    for part in chunks(sorted(area_units)):
        a, b, c = conn.execute(stmt.where(RECORDS.c.unit.in_(list(part)))).one()
        n, rated, good_n = n + int(a), rated + int(b), good_n + int(c)
    return Today(n, rated, good_n)


@router.get("/", response_class=HTMLResponse)
def overview(
    request: Request,
    actor: Viewer,
    session: SessionDep,
    settings: SettingsDep,
    registry: RegistryDep,
) -> HTMLResponse:
    now = hub_now(request.app)
    area_units = units_in(actor.area, registry)
    rows = board.area_fleet(
        session, registry, area_units=area_units, now=now, stale_after_s=settings.stale_after_s
    )
    presence = {p.value: sum(r.presence == p for r in rows) for p in Presence}
    with request.app.state.engine.connect() as conn:
        alerts = open_by_kind(conn, area_filter(conn, area_units))
        today = cases_today(conn, area_units, now)
    consumer = getattr(request.app.state, "consumer", None)
    # the rollouts under way, then the last ones finished
    _, active = area.list_visible(session, area_units, limit=20, offset=0, states=ACTIVE)
    _, recent = area.list_visible(session, area_units, limit=3 + len(active), offset=0)
    rollouts = active + [r for r in recent if r.state not in ACTIVE][:3]
    return page(
        request,
        "overview.html",
        {
            **words(now),
            "area": actor.area.label(registry),
            "units": len(rows),
            "presence": presence,
            "problem": sum(r.problem for r in rows),
            "drifting": sum(r.clock_drift for r in rows),
            # units claiming a config version the hub never issued them
            "anomalies": sum(r.anomaly_version is not None for r in rows),
            "towns": town_counts(rows),
            "alerts": alerts,
            "today": today,
            "totals": totals(session, units=area_units),
            "rollouts": rollouts,
            "ingest": consumer.snapshot() if consumer is not None else None,
            "auditor": actor.role.allows(Role.AUDITOR),
        },
        nav="/",
    )
