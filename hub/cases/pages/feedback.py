"""``/cases/feedback``: the feedback book (意见簿), residents' notes from kiosks and case
status pages in the asking account's area, with the reply form for operators (the existing
``POST /api/feedback/{id}/handle``, audited there)."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from hub.accounts.auth import Auditor
from hub.cases.pages.common import common, given, pager, paging, tri_state, viewing
from hub.errors import InvalidRequest
from hub.feedback.service import list_feedback
from hub.web.pages import page
from protocol.feedback import FEEDBACK_TOPIC_LABELS, FeedbackSource, FeedbackTopic

router = APIRouter()
SOURCE_LABELS = {"kiosk": "村窗口终端", "status_page": "办件查询页"}


def _day(fields: dict[str, str], name: str) -> date | None:
    raw = fields.get(name)
    try:
        return date.fromisoformat(raw) if raw else None
    except ValueError:
        raise InvalidRequest(f"{name}: a day as 2026-11-28") from None


@router.get("/cases/feedback", response_class=HTMLResponse, include_in_schema=False)
def feedback_page(actor: Auditor, request: Request) -> HTMLResponse:
    view = viewing(request, actor)
    fields = given(request.query_params)
    topic = fields.get("topic")
    if topic is not None and topic not in {t.value for t in FeedbackTopic}:
        raise InvalidRequest("topic: not a feedback topic")
    village = fields.get("village")
    if village is not None and not view.sees(village):
        raise InvalidRequest("village: not a village of this account's area")
    source = fields.get("source")
    if source is not None and source not in SOURCE_LABELS:
        raise InvalidRequest("source: kiosk or status_page")
    units = view.units
    with request.app.state.engine.connect() as conn:
        limit, offset = paging(request.query_params)
        found = list_feedback(
            conn, topic=FeedbackTopic(topic) if topic else None, unit=village,
            units=sorted(units) if units is not None else None,
            source=FeedbackSource(source) if source else None,
            handled=tri_state(fields, "handled"), received_from=_day(fields, "from"),
            received_to=_day(fields, "to"), limit=limit, offset=offset,
        )  # fmt: skip
    context = {
        **common(view, "/cases/feedback"), "page": found, "fields": fields,
        "topics": FEEDBACK_TOPIC_LABELS, "sources": SOURCE_LABELS, "villages": view.villages(),
        "source_label": lambda s: SOURCE_LABELS.get(s, s), "village_name": view.village_name,
        "pager": pager(request, found.total, limit, offset),
    }  # fmt: skip
    return page(request, "cases_feedback.html", context, nav="/cases")
