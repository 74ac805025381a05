"""`GET /c/{token}` and `POST /c/{token}/feedback`: public, no login.

The token is looked up by its SHA-256 (the hub never stores the token itself) through the
index, and the stored hash compared in constant time; an unknown token and a malformed one
take the same path and get the same 404 page. Each client address has a budget of page views
per minute and of feedback posts per hour (counted in the database, so all hub processes
share it). A post needs the page's form token and must come from this site (Origin)."""

from __future__ import annotations

import hmac
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from hub import ratelimit
from hub.calendar import current_calendar
from hub.casepage.guard import (
    HEADERS,
    client_address,
    form_token,
    form_token_ok,
    page_secret,
    same_origin,
)
from hub.casepage.view import page_view
from hub.cases.api import today
from hub.cases.owed import still_owed
from hub.cases.query import by_token
from hub.deps import hub_now
from hub.feedback.service import add
from hub.limits import STATUS_FORM_BYTES
from protocol.bounds import one_line
from protocol.feedback import (
    FEEDBACK_TOPIC_LABELS,
    MAX_FEEDBACK_TEXT,
    FeedbackSource,
    FeedbackTopic,
)
from protocol.supply import token_sha256

router = APIRouter()
MAX_FORM_BYTES = STATUS_FORM_BYTES  # a topic, 500 characters and the form token
FORM_TYPE = "application/x-www-form-urlencoded"


def _templates() -> Jinja2Templates:
    from importlib import resources

    return Jinja2Templates(directory=str(resources.files("hub") / "templates"))


templates = _templates()


def _secret(request: Request) -> bytes:
    secret: bytes | None = getattr(request.app.state, "page_secret", None)
    if secret is None:
        secret = request.app.state.page_secret = page_secret(request.app.state.signing_key)
    return secret


def _now(request: Request) -> datetime:
    return hub_now(request.app)


def _render(request: Request, name: str, context: dict[str, Any], status: int = 200) -> Response:
    response = templates.TemplateResponse(request, name, context, status_code=status)
    response.headers.update(HEADERS)
    return response


def _allowed(request: Request, purpose: str, limit: int, window_s: int) -> bool:
    key = ratelimit.client_key(_secret(request), purpose, client_address(request))
    with request.app.state.engine.begin() as conn:
        return ratelimit.hit(conn, key=key, limit=limit, window_s=window_s, now=_now(request))


def _find(request: Request, token: str) -> tuple[str, Any]:
    """(the token's hash, its case record or None). Every token, well-formed or not, is
    hashed and looked up the same way, and the hash compared in constant time."""
    digest = token_sha256(token)
    with request.app.state.engine.connect() as conn:
        row = by_token(conn, digest)
    if row is None or not hmac.compare_digest(row.status_token_sha256 or "", digest):
        return digest, None
    return digest, row


def _missing(request: Request) -> Response:
    return _render(request, "case_missing.html", {}, 404)


def _busy(request: Request) -> Response:
    return _render(request, "case_busy.html", {}, 429)


@router.get("/c/{token}", response_class=HTMLResponse, include_in_schema=False)
def status_page(token: str, request: Request, sent: int = 0) -> Response:
    settings = request.app.state.settings
    if not _allowed(request, "page", settings.status_page_per_minute, 60):
        return _busy(request)
    digest, record = _find(request, token)
    if record is None:
        return _missing(request)
    with request.app.state.engine.connect() as conn:
        owed = still_owed(conn, [record]).get(record.case_id, [])
        cal = current_calendar(conn)
    view = page_view(
        record, owed, request.app.state.catalogs.current, request.app.state.registry, cal,
        today(request),
    )  # fmt: skip
    return _render(
        request,
        "case_status.html",
        {
            **view,
            "form_token": form_token(_secret(request), digest, _now(request)),
            "topics": [(t.value, label) for t, label in FEEDBACK_TOPIC_LABELS.items()],
            "max_text": MAX_FEEDBACK_TEXT,
            "sent": sent == 1,
            "action": f"/c/{token}/feedback",
        },
    )


async def _form(request: Request) -> dict[str, str]:
    """The posted form (application/x-www-form-urlencoded, a few fields, bounded by the
    route's body limit); empty when it is anything else."""
    if not request.headers.get("content-type", "").startswith(FORM_TYPE):
        return {}
    body = await request.body()
    if len(body) > MAX_FORM_BYTES:
        return {}
    try:
        pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True, max_num_fields=8)
    except (UnicodeDecodeError, ValueError):
        return {}
    return dict(pairs)


@router.post("/c/{token}/feedback", include_in_schema=False)
async def status_feedback(token: str, request: Request) -> Response:
    settings = request.app.state.settings
    if not same_origin(request):
        return _render(request, "case_refused.html", {}, 403)
    if not _allowed(request, "feedback", settings.status_feedback_per_hour, 3600):
        return _busy(request)
    digest, record = _find(request, token)
    if record is None:
        return _missing(request)
    given = await _form(request)
    if not form_token_ok(_secret(request), digest, given.get("form_token", ""), _now(request)):
        return _render(request, "case_refused.html", {}, 403)
    try:
        topic = FeedbackTopic(given.get("topic", ""))
    except ValueError:
        return _render(request, "case_refused.html", {"bad_form": True}, 400)
    with request.app.state.engine.begin() as conn:
        add(
            conn, source=FeedbackSource.STATUS_PAGE, topic=topic,
            text=one_line(given.get("text", ""), MAX_FEEDBACK_TEXT), unit=record.unit,
            case_ref=record.case_ref, case_id=record.case_id, now=_now(request),
        )  # fmt: skip
    response = RedirectResponse(f"/c/{token}?sent=1", status_code=303)
    response.headers.update(HEADERS)
    return response
