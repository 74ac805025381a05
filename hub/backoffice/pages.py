"""The back office's pages (Chinese, server-rendered, no CDN): its queue with the working days
left, and one case with its timeline, its notices and the forms of the steps it allows.

The officer signs in at /login like everyone; the forms post with fetch on the session
cookie and the session's CSRF token (from the page's meta tag, hub.accounts.csrf)."""

from __future__ import annotations

import uuid
from datetime import datetime
from importlib import resources
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.templating import Jinja2Templates

from hub.backoffice.labels import (
    NOTICE_STATUS_LABELS,
    STATUS_LABELS,
    STEP_BUTTONS,
    STEP_LABELS,
    notice_label,
    step_detail,
)
from hub.backoffice.queue import one_case, queue
from hub.backoffice.reach import Reader
from hub.backoffice.steps import RULES
from hub.calendar import current_calendar
from hub.cases.api import today
from protocol.calendar import CHINA

router = APIRouter()
templates = Jinja2Templates(directory=str(resources.files("hub") / "templates"))
# the pages run one script of their own and nothing inline; strings from units are escaped
HEADERS = {
    "content-security-policy": (
        "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
        "frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
    ),
    "cache-control": "no-store",
    "x-content-type-options": "nosniff",
}


def _local(when: datetime | None) -> str:
    return when.astimezone(CHINA).strftime("%Y-%m-%d %H:%M") if when else "—"


def _left(days: int | None) -> str:
    """Working days left against a limit, in words."""
    if days is None:
        return "—"
    if days < 0:
        return f"超期 {-days} 个工作日"
    return "今日到期" if days == 0 else f"剩 {days} 个工作日"


templates.env.filters["local"] = _local
templates.env.filters["left"] = _left
templates.env.globals.update(
    status_label=lambda s: STATUS_LABELS.get(s, s),
    step_label=lambda s: STEP_LABELS.get(s, s),
    notice_status=lambda s: NOTICE_STATUS_LABELS.get(s, s),
    notice_label=notice_label,
    step_detail=step_detail,
    step_title=lambda s: RULES[s].label,
    step_button=lambda s: STEP_BUTTONS[s],
)


def _page(request: Request, name: str, context: dict[str, Any]) -> HTMLResponse:
    context = {**context, "csrf_token": getattr(request.state, "csrf_token", "")}
    response = templates.TemplateResponse(request, name, context)
    response.headers.update(HEADERS)
    return response


@router.get("/backoffice", response_class=HTMLResponse)
def queue_page(reach: Reader, request: Request) -> HTMLResponse:
    registry, catalog = request.app.state.registry, request.app.state.catalogs.current
    with request.app.state.engine.connect() as conn:
        page = queue(
            conn, reach, registry, catalog, current_calendar(conn), today(request), limit=500,
            offset=0,
        )  # fmt: skip
    return _page(request, "backoffice_queue.html", {"page": page, "who": reach.actor.name})


@router.get("/backoffice/cases/{case_id}", response_class=HTMLResponse)
def case_page(case_id: uuid.UUID, reach: Reader, request: Request) -> HTMLResponse:
    registry, catalog = request.app.state.registry, request.app.state.catalogs.current
    with request.app.state.engine.connect() as conn:
        case = one_case(
            conn, case_id, reach, registry, catalog, current_calendar(conn), today(request)
        )
    context = {"case": case, "office": reach.label(registry), "who": reach.actor.name}
    return _page(request, "backoffice_case.html", context)


@router.get("/backoffice/static/backoffice.js", include_in_schema=False)
def script() -> Response:
    """The pages' one script (no CDN, nothing inline); holds no data, so no sign-in needed."""
    body = (resources.files("hub.backoffice") / "static" / "backoffice.js").read_bytes()
    return Response(body, media_type="text/javascript", headers={"cache-control": "no-cache"})
