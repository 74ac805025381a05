"""``/cases/blacklist``: the integrity blacklist (失信名单) for auditors and operators, as the
API decides: the listed applicants with the case that put them there, the proposals from
lapsed 容缺 cases (county operators confirm or reject them through the existing, audited
API), and the history of every change from the audit log (who and when).

The list holds at every window of the county, so every auditor reads it and its history
whole (as ``GET /api/blacklist`` answers); the proposals are the area's own, and only a
county-wide operator changes the list or decides a proposal (hub.window.api.county_only)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from hub.accounts.auth import Auditor
from hub.cases.pages.common import common, given, pager, paging, viewing
from hub.errors import InvalidRequest
from hub.web.pages import page
from hub.window.blacklist_view import history, listed
from hub.window.proposals import ProposalState, list_proposals

router = APIRouter()
SHOW = {"entries": "失信名单", "proposals": "拟列入", "history": "变更记录"}
PROPOSAL_STATES = {"proposed": "待确认", "confirmed": "已确认列入", "rejected": "不予列入"}
ACTIONS = {
    "blacklist.add": "列入", "blacklist.remove": "移出", "blacklist.confirm": "确认列入",
    "blacklist.reject": "不予列入",
}  # fmt: skip


@router.get("/cases/blacklist", response_class=HTMLResponse, include_in_schema=False)
def blacklist_page(actor: Auditor, request: Request) -> HTMLResponse:
    view = viewing(request, actor)
    fields = given(request.query_params)
    show = fields.get("show", "entries")
    state = fields.get("state")
    if show not in SHOW or (state is not None and state not in PROPOSAL_STATES):
        raise InvalidRequest("show: entries, proposals or history; state: a proposal's state")
    limit, offset = paging(request.query_params)
    rows: list[Any]
    with request.app.state.engine.connect() as conn:
        if show == "entries":
            total, rows = listed(conn, limit=limit, offset=offset)
        elif show == "proposals":
            total, rows = list_proposals(
                conn, state=ProposalState(state) if state else None, units=view.unit_tuple,
                limit=limit, offset=offset,
            )  # fmt: skip
        else:
            total, rows = history(conn, limit=limit, offset=offset)
    context = {
        **common(view, "/cases/blacklist"), "show": show, "shows": SHOW, "state": state,
        "states": PROPOSAL_STATES, "rows": rows, "actions": ACTIONS,
        "may_decide": view.may_act and actor.area.county, "village_name": view.village_name,
        "sees": view.sees,
        "pager": pager(request, total, limit, offset),
    }  # fmt: skip
    return page(request, "cases_blacklist.html", context, nav="/cases")
