"""The alerts page (/alerts): open and past alerts of the account's area with when each began,
how often it was sent, who acknowledged it; operators acknowledge from the page (the API's
acknowledge route, audited)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from hub.accounts.area import units_in
from hub.accounts.auth import Viewer
from hub.accounts.roles import Role
from hub.alerts.conditions import ALERT_LABELS, AlertKind
from hub.alerts.query import ROLLOUT_PREFIX, AlertFilter, area_filter, count_alerts, list_alerts
from hub.deps import RegistryDep, hub_now
from hub.fleet.pages import words
from hub.web.pager import LimitQuery, OffsetQuery, Pager, filters
from hub.web.pages import page
from protocol.villages import VillageRegistry

router = APIRouter()

StateQuery = Annotated[str, Query(pattern="^(open|all)$")]


def _place(registry: VillageRegistry, subject: str) -> tuple[str, str]:
    """(village, town) of an alert's subject, as the page names them."""
    if subject.startswith(ROLLOUT_PREFIX):
        return "配置下发批次", ""
    try:
        village = registry.village(subject)
        return village.name, registry.division(village.division).name
    except LookupError:
        return subject, "未登记"


@router.get("/alerts", response_class=HTMLResponse)
def alerts_page(
    request: Request,
    actor: Viewer,
    registry: RegistryDep,
    state: StateQuery = "open",
    kind: AlertKind | None = None,
    unit: Annotated[str | None, Query(max_length=64)] = None,
    limit: LimitQuery = 50,
    offset: OffsetQuery = 0,
) -> HTMLResponse:
    chosen = AlertFilter(open_only=state == "open", kind=kind, unit=unit or None)
    with request.app.state.engine.connect() as conn:
        where = [*chosen.where(), *area_filter(conn, units_in(actor.area, registry))]
        total = count_alerts(conn, where)
        rows = list_alerts(conn, where, limit=limit, offset=offset)
    now = hub_now(request.app)
    params = filters(state=None if state == "open" else state, kind=kind, unit=unit)
    return page(
        request,
        "alerts.html",
        {
            **words(now),
            "area": actor.area.label(registry),
            "alerts": [(a, *_place(registry, a.subject)) for a in rows],
            "pager": Pager("/alerts", total, limit, offset, params),
            "state": state,
            "kind": kind.value if kind else "",
            "unit": unit or "",
            "kinds": {k.value: v for k, v in ALERT_LABELS.items()},
            "can_act": actor.role.allows(Role.OPERATOR),
        },
        nav="/alerts",
    )
