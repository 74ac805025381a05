"""Alerts in the API: the list (open ones first) and acknowledging one (an operator's act,
audited). Alerts name units and rollouts, never people, so viewers may read them. An account
scoped to a town or village sees its own units' alerts (not the county's rollouts)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel
from sqlalchemy import func, select

from hub import audit
from hub.accounts.area import covers, units_in
from hub.accounts.auth import Operator, Viewer
from hub.alerts.conditions import ALERT_LABELS, AlertKind
from hub.alerts.store import ALERTS
from hub.alerts.watcher import acknowledge
from hub.deps import RowId
from hub.errors import NotFound

router = APIRouter(prefix="/api")


class AlertNotFound(NotFound):
    code = "alert_not_found"


class AlertPublic(BaseModel):
    id: int
    kind: str
    label: str
    subject: str
    started_at: datetime
    raised_at: datetime
    cleared_at: datetime | None
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    notifications: int
    detail: dict[str, Any]


class AlertPage(BaseModel):
    total: int
    alerts: list[AlertPublic]


def _public(r: Any) -> AlertPublic:
    fields = dict(r._mapping)
    return AlertPublic(**fields, label=ALERT_LABELS[AlertKind(r.kind)])


@router.get("/alerts")
def list_alerts(
    actor: Viewer,
    request: Request,
    open_only: Annotated[bool, Query(alias="open")] = True,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> AlertPage:
    where = [ALERTS.c.cleared_at.is_(None)] if open_only else []
    units = units_in(actor.area, request.app.state.registry)
    if units is not None:
        where.append(ALERTS.c.subject.in_(sorted(units)))
    with request.app.state.engine.connect() as conn:
        total = conn.execute(select(func.count()).select_from(ALERTS).where(*where)).scalar_one()
        rows = conn.execute(
            select(ALERTS)
            .where(*where)
            .order_by(ALERTS.c.cleared_at.is_not(None), ALERTS.c.started_at.desc(), ALERTS.c.id)
            .limit(limit)
            .offset(offset)
        ).all()
    return AlertPage(total=int(total), alerts=[_public(r) for r in rows])


@router.post("/alerts/{alert_id}/acknowledge")
def acknowledge_alert(alert_id: RowId, actor: Operator, request: Request) -> AlertPublic:
    engine = request.app.state.engine
    now = datetime.now(UTC)
    with engine.connect() as conn:
        row = conn.execute(select(ALERTS.c.subject).where(ALERTS.c.id == alert_id)).first()
        if row is None or not covers(actor.area, request.app.state.registry, row.subject):
            raise AlertNotFound(f"no alert {alert_id}")
    if acknowledge(engine, alert_id, actor.name, now):
        with engine.begin() as conn:
            audit.record(conn, actor=actor, action="alert.acknowledge", target=str(alert_id))
    with engine.connect() as conn:
        return _public(conn.execute(select(ALERTS).where(ALERTS.c.id == alert_id)).one())
