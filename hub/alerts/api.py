"""Alerts in the API: the list (open ones first) and acknowledging one (an operator's act,
audited in the same transaction). Alerts name units and rollouts, never people, so viewers may
read them. An account scoped to a town or village sees its own units' alerts and those of the
rollouts that reached its units; any other alert is not found."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel
from sqlalchemy import select

from hub import audit
from hub.accounts.area import units_in
from hub.accounts.auth import Operator, Viewer
from hub.alerts.conditions import ALERT_LABELS, AlertKind
from hub.alerts.query import AlertFilter, area_filter, count_alerts
from hub.alerts.query import list_alerts as list_alerts_in
from hub.alerts.store import ALERTS
from hub.alerts.watcher import acknowledge
from hub.deps import RegistryDep, RowId
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
    registry: RegistryDep,
    open_only: Annotated[bool, Query(alias="open")] = True,
    kind: AlertKind | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> AlertPage:
    """The alerts of the caller's area: its units', and those of rollouts that reached them."""
    chosen = AlertFilter(open_only=open_only, kind=kind)
    with request.app.state.engine.connect() as conn:
        where = [*chosen.where(), *area_filter(conn, units_in(actor.area, registry))]
        total = count_alerts(conn, where)
        rows = list_alerts_in(conn, where, limit=limit, offset=offset)
    return AlertPage(total=total, alerts=[_public(r) for r in rows])


@router.post("/alerts/{alert_id}/acknowledge")
def acknowledge_alert(
    alert_id: RowId, actor: Operator, request: Request, registry: RegistryDep
) -> AlertPublic:
    """Acknowledging stops the repeats; recorded in the audit log in the same transaction. An
    alert outside the caller's area is not found."""
    engine = request.app.state.engine
    now = datetime.now(UTC)
    with engine.begin() as conn:
        where = [ALERTS.c.id == alert_id, *area_filter(conn, units_in(actor.area, registry))]
        if conn.execute(select(ALERTS.c.id).where(*where)).first() is None:
            raise AlertNotFound(f"no alert {alert_id}")
        if acknowledge(conn, alert_id, actor.name, now):
            audit.record(conn, actor=actor, action="alert.acknowledge", target=f"alert/{alert_id}")
    with engine.connect() as conn:
        return _public(conn.execute(select(ALERTS).where(ALERTS.c.id == alert_id)).one())
