"""Render a hub page: the layout's context (who is signed in, the CSRF token, the navigation)
and the headers every page sends.

Pages run the hub's own scripts only (``/static/hub/...``, nothing inline, no CDN: the hub runs
on the county's intranet); strings from units and people are escaped by Jinja's autoescape.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from hub.web import fmt

templates = Jinja2Templates(directory=str(resources.files("hub") / "templates"))
templates.env.filters["local_time"] = fmt.local_time
templates.env.filters["cn_date"] = fmt.cn_date
templates.env.filters["num"] = fmt.number
templates.env.filters["pct"] = fmt.percent

HEADERS = {
    "content-security-policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "frame-ancestors 'none'; form-action 'self'; base-uri 'none'; object-src 'none'"
    ),
    "cache-control": "no-store",
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
}


@dataclass(frozen=True)
class NavItem:
    href: str
    label: str


# the layout's navigation, in the order the county's staff work through it; a page marks its
# own item with ``nav="..."`` (the href)
NAV = (
    NavItem("/", "总览"),
    NavItem("/fleet", "终端"),
    NavItem("/cases", "办件"),
    NavItem("/indicators", "指标"),
    NavItem("/catalog", "事项清单"),
    NavItem("/rollouts", "配置下发"),
    NavItem("/alerts", "告警"),
    NavItem("/audit", "审计日志"),
    NavItem("/account", "账号"),
)


def page(
    request: Request,
    template: str,
    context: dict[str, Any],
    *,
    nav: str = "/",
    status_code: int = 200,
) -> HTMLResponse:
    """The page ``template`` (which extends ``hub_base.html``) with the layout's context.

    ``request.state.actor`` and ``request.state.csrf_token`` are set by the sign-in layer
    (hub.accounts) for the request; a page rendered without them shows no account and no
    token, and any form on it is refused by the CSRF check."""
    base = {
        "actor": getattr(request.state, "actor", None),
        "csrf_token": getattr(request.state, "csrf_token", ""),
        "nav_items": NAV,
        "nav": nav,
        "now": datetime.now(UTC),
    }
    response = templates.TemplateResponse(
        request, template, {**base, **context}, status_code=status_code
    )
    response.headers.update(HEADERS)
    return response
