"""``/cases``: find cases by number, status, matter, town, village, opening days, 容缺,
forwarding and lateness, in the asking account's area, with the CSV export of the same
search; ``/cases/{id}``: one case with its timeline, materials, time limits, rating,
follow-up and notices."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from pydantic import ValidationError
from sqlalchemy import Connection, or_, select

from hub.accounts.area import within
from hub.accounts.auth import Auditor
from hub.backoffice.labels import STEP_LABELS, notice_label, step_detail
from hub.calendar import current_calendar
from hub.cases.api import case_in_area
from hub.cases.fold import Status
from hub.cases.owed import still_owed
from hub.cases.pages.common import Viewing, common, given, pager, paging, tri_state, viewing
from hub.cases.query import CaseFilter, find
from hub.cases.views import CaseSummary, Names, detail, summary
from hub.errors import CaseNotFound, InvalidRequest
from hub.feedback.tables import FEEDBACK
from hub.followups.service import Owners, get_followup
from hub.followups.tables import FOLLOWUPS
from hub.notices.outbox import for_case
from hub.web.pages import page
from protocol.catalog import WAIVER_GROUND_LABELS, WaiverGround
from protocol.feedback import FEEDBACK_TOPIC_LABELS, FeedbackTopic

router = APIRouter()
# the search form's fields, named as /api/cases names its filters (so the CSV link is the
# same query)
FIELDS = ("ref", "status", "matter", "town", "village", "from", "to", "deferred", "forwarded",
          "overdue")  # fmt: skip


def waiver_label(ground: str) -> str:
    try:
        return WAIVER_GROUND_LABELS[WaiverGround(ground)]
    except ValueError:
        return ground


def topic_label(topic: str) -> str:
    try:
        return FEEDBACK_TOPIC_LABELS[FeedbackTopic(topic)]
    except ValueError:
        return topic


def _names(request: Request) -> Names:
    return Names(request.app.state.registry, request.app.state.catalogs.current)


def search_filter(fields: dict[str, str], view: Viewing) -> CaseFilter:
    """The form's fields as a CaseFilter within the viewer's area; InvalidRequest naming the
    field when one is wrong."""
    units = None
    if "town" in fields:
        if fields["town"] not in {d.code for d in view.registry.divisions}:
            raise InvalidRequest(f"town: no town or subdistrict {fields['town']!r}")
        units = tuple(v.unit_id for v in view.registry.in_division(fields["town"]))
    try:
        return CaseFilter.model_validate(
            {
                "ref": fields.get("ref"), "status": fields.get("status"),
                "village": fields.get("village"),
                "units": within(view.actor.area, view.registry, units),
                "matters": (fields["matter"],) if "matter" in fields else None,
                "opened_from": fields.get("from"), "opened_to": fields.get("to"),
                "deferred": tri_state(fields, "deferred"),
                "forwarded": tri_state(fields, "forwarded"),
                "overdue": tri_state(fields, "overdue"),
            }
        )  # fmt: skip
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise InvalidRequest(f"{where}: {first['msg']}") from None


@router.get("/cases", response_class=HTMLResponse, include_in_schema=False)
def cases_page(actor: Auditor, request: Request) -> HTMLResponse:
    view = viewing(request, actor)
    fields = {k: v for k, v in given(request.query_params).items() if k in FIELDS}
    catalog = request.app.state.catalogs.current
    context: dict[str, Any] = {
        **common(view, "/cases"), "fields": fields, "statuses": [s.value for s in Status],
        "matters": catalog.matters if catalog is not None else [],
        "villages": view.villages(), "divisions": view.divisions(), "error": None,
        "cases": [], "pager": None, "csv_url": "/api/cases.csv?" + urlencode(fields),
    }  # fmt: skip
    try:
        limit, offset = paging(request.query_params)
        f = search_filter(fields, view)
    except InvalidRequest as exc:
        context["error"] = str(exc)
        return page(request, "cases.html", context, nav="/cases", status_code=422)
    names = _names(request)
    with request.app.state.engine.connect() as conn:
        cal = current_calendar(conn)
        total, rows = find(conn, f, cal, view.today, limit=limit, offset=offset)
        context["cases"] = [CaseSummary(**summary(r, names, cal, view.today)) for r in rows]
    context["pager"] = pager(request, total, limit, offset)
    return page(request, "cases.html", context, nav="/cases")


def _followup(conn: Connection, case_id: uuid.UUID, request: Request, day: date) -> Any:
    found = conn.execute(select(FOLLOWUPS.c.id).where(FOLLOWUPS.c.case_id == case_id)).first()
    if found is None:
        return None
    return get_followup(conn, found.id, Owners(request.app.state.registry), day)


def _feedback(conn: Connection, case_id: uuid.UUID, case_ref: str | None) -> list[Any]:
    c = FEEDBACK.c
    match = (
        c.case_id == case_id
        if case_ref is None
        else or_(c.case_id == case_id, c.case_ref == case_ref)
    )
    return list(conn.execute(select(FEEDBACK).where(match).order_by(c.received_at).limit(50)))


@router.get("/cases/{case_id}", response_class=HTMLResponse, include_in_schema=False)
def case_page(case_id: str, actor: Auditor, request: Request) -> HTMLResponse:
    view = viewing(request, actor)
    try:
        wanted = uuid.UUID(case_id)
    except ValueError:
        wanted = None
    with request.app.state.engine.connect() as conn:
        try:
            if wanted is None:
                raise CaseNotFound(f"no case {case_id}")
            row = case_in_area(conn, wanted, actor, request)
        except CaseNotFound:
            context = {**common(view, "/cases"), "asked": case_id}
            return page(request, "case_missing_page.html", context, nav="/cases",
                        status_code=404)  # fmt: skip
        cal = current_calendar(conn)
        case = detail(conn, row, _names(request), cal, view.today)
        context = {
            **common(view, "/cases"), "case": case,
            "owed_now": still_owed(conn, [row])[row.case_id],
            "followup": _followup(conn, row.case_id, request, view.today),
            "notices": for_case(conn, row.case_id), "feedback": _feedback(conn, row.case_id,
                                                                         row.case_ref),
            "village_name": view.village_name(row.unit), "step_label":
            lambda s: STEP_LABELS.get(s, s), "step_detail": step_detail,
            "notice_label": notice_label, "unit_name": view.village_name,
            "topic_label": topic_label, "waiver_label": waiver_label,
        }  # fmt: skip
    return page(request, "case.html", context, nav="/cases")
