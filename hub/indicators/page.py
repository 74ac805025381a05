"""The ``/indicators`` page: a period picker, the headline figures, the measured reductions
beside the catalog's declared ones, four charts (drawn by ECharts in the browser from
``/api/indicators``) and the tables by town, matter and village. The figures are rendered on
the server too, so the page reads and prints without its scripts."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from hub.accounts.area import units_in
from hub.accounts.auth import Viewer
from hub.deps import hub_now
from hub.errors import InvalidRequest, NotFound
from hub.indicators.api import AskedDep, report_for, scope_for
from hub.web.pages import page
from hub.web.vendor import available
from protocol.calendar import local_date

router = APIRouter(include_in_schema=False)
TOP_MATTERS = 10  # matters in the on-time chart: the most cases first, so bars stay readable


def quick_periods(today: date) -> list[tuple[str, date, date]]:
    """The period picker's shortcuts."""
    return [
        ("近7天", today - timedelta(6), today),
        ("近30天", today - timedelta(29), today),
        ("本月", today.replace(day=1), today),
        ("本年", today.replace(month=1, day=1), today),
    ]


@router.get("/indicators", response_class=HTMLResponse)
def indicators_page(actor: Viewer, request: Request, q: AskedDep) -> HTMLResponse:
    registry = request.app.state.registry
    catalog = request.app.state.catalogs.current
    today = local_date(hub_now(request.app))
    reach = units_in(actor.area, registry)
    villages = [v for v in registry.villages if reach is None or v.unit_id in reach]
    towns = [d for d in registry.divisions if any(v.division == d.code for v in villages)]
    context: dict[str, Any] = {
        "asked": q, "today": today, "towns": towns, "villages": villages,
        "matters": catalog.matters, "quick": quick_periods(today),
        "area_label": actor.area.label(registry), "charts": available("echarts.min.js"),
        "report": None, "error": None, "api": None, "top_matters": TOP_MATTERS,
    }  # fmt: skip
    try:
        scope = scope_for(request, actor, q)
    except (InvalidRequest, NotFound) as exc:
        context["error"] = str(exc)
        return page(request, "indicators.html", context, nav="/indicators", status_code=exc.status)
    report = report_for(request, actor, scope)
    query = {"from": scope.start.isoformat(), "to": scope.end.isoformat()}
    query |= {
        k: v for k, v in (("town", q.town), ("village", q.village), ("matter", q.matter)) if v
    }
    context |= {"report": report, "api": "/api/indicators?" + urlencode(query)}
    return page(request, "indicators.html", context, nav="/indicators")
