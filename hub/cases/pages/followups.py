"""``/cases/followups``: the follow-ups of bad ratings in the asking account's area (state,
owner, due day, overdue), with the steps each allows as forms for operators (the existing
``POST /api/followups/{id}/{step}``, audited there)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import select

from hub.accounts.auth import Auditor
from hub.cases.pages.common import common, given, pager, paging, tri_state, viewing
from hub.cases.project import RECORDS
from hub.errors import InvalidRequest
from hub.followups.service import ORDER, Owners, list_followups
from hub.followups.tables import STATUS_LABELS, STEP_LABELS, FollowupStatus, FollowupStep
from hub.web.pages import page

router = APIRouter()
# what each step's form asks for
NOTE_PROMPTS = {
    FollowupStep.VERIFY: "核实情况", FollowupStep.RECTIFY: "整改措施",
    FollowupStep.REVISIT: "回访情况", FollowupStep.CLOSE: "办结结果",
    FollowupStep.ASSIGN: "转办说明",
}  # fmt: skip


def allowed(status: str) -> list[FollowupStep]:
    """The steps a follow-up in ``status`` allows, in the order people take them."""
    return [step for step, (start, _) in ORDER.items() if FollowupStatus(status) in start]


@router.get("/cases/followups", response_class=HTMLResponse, include_in_schema=False)
def followups_page(actor: Auditor, request: Request) -> HTMLResponse:
    view = viewing(request, actor)
    fields = given(request.query_params)
    status = fields.get("status")
    if status is not None and status not in {s.value for s in FollowupStatus}:
        raise InvalidRequest("status: not a follow-up status")
    overdue = tri_state(fields, "overdue")
    limit, offset = paging(request.query_params)
    with request.app.state.engine.connect() as conn:
        found = list_followups(
            conn, Owners(view.registry), view.today,
            status=FollowupStatus(status) if status else None, overdue=overdue,
            area_units=view.unit_tuple, limit=limit, offset=offset,
        )  # fmt: skip
        ids = [f.case_id for f in found.followups]
        refs = {
            r.case_id: r.case_ref
            for r in conn.execute(
                select(RECORDS.c.case_id, RECORDS.c.case_ref).where(RECORDS.c.case_id.in_(ids))
            )
        }
    context = {
        **common(view, "/cases/followups"), "page": found, "fields": fields,
        "statuses": STATUS_LABELS, "allowed": allowed, "step_labels": STEP_LABELS,
        "prompts": NOTE_PROMPTS, "refs": refs, "divisions": view.registry.divisions,
        "pager": pager(request, found.total, limit, offset),
    }  # fmt: skip
    return page(request, "cases_followups.html", context, nav="/cases")
