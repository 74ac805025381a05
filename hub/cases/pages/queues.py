"""Work lists over the case record, each in the asking account's area: open 容缺 cases with
what is still owed and by when (``/cases/deficient``), cases near or past their legal and
promised limits (``/cases/due``), and the back offices' queue across offices
(``/cases/forwarded``), which links into the back office's own pages for acting."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import ColumnElement, Connection, and_, func, or_, select

from hub.accounts.auth import Auditor
from hub.backoffice.reach import deciding_office
from hub.backoffice.steps import WAITING
from hub.calendar import current_calendar
from hub.cases.fold import PENDING_DECISION, Deficiency, Status
from hub.cases.owed import still_owed
from hub.cases.pages.common import Viewing, common, given, pager, paging, viewing
from hub.cases.project import RECORDS
from hub.cases.timelimits import near_due_until
from hub.cases.views import CaseSummary, Names, summary
from hub.errors import InvalidRequest
from hub.web.pages import page

router = APIRouter()
c = RECORDS.c
OPEN_DEFICIENCY = (Deficiency.OWED.value, Deficiency.LAPSED.value)


def _area(view: Viewing) -> list[ColumnElement[bool]]:
    units = view.units
    return [] if units is None else [c.unit.in_(sorted(units))]


def _choice(request: Request, name: str, allowed: Sequence[str]) -> str | None:
    raw = given(request.query_params).get(name)
    if raw is not None and raw not in allowed:
        raise InvalidRequest(f"{name}: one of {', '.join(allowed)}")
    return raw


def _page_of(
    conn: Connection, where: list[ColumnElement[bool]], order: list[Any], limit: int, offset: int
) -> tuple[int, Sequence[Any]]:
    total = conn.execute(select(func.count()).select_from(RECORDS).where(*where)).scalar_one()
    rows = conn.execute(
        select(RECORDS).where(*where).order_by(*order).limit(limit).offset(offset)
    ).all()
    return int(total), rows


def _count(conn: Connection, where: list[ColumnElement[bool]]) -> int:
    return int(conn.execute(select(func.count()).select_from(RECORDS).where(*where)).scalar_one())


def _names(request: Request) -> Names:
    return Names(request.app.state.registry, request.app.state.catalogs.current)


@router.get("/cases/deficient", response_class=HTMLResponse, include_in_schema=False)
def deficient_page(actor: Auditor, request: Request) -> HTMLResponse:
    """Open 容缺 cases: owed (within the supply date) and lapsed (past it, in the grace
    period before withdrawal), the earliest supply date first."""
    view = viewing(request, actor)
    state = _choice(request, "state", OPEN_DEFICIENCY)
    limit, offset = paging(request.query_params)
    base = [*_area(view), c.deficiency.in_(OPEN_DEFICIENCY)]
    where = [*base, c.deficiency == state] if state else base
    names = _names(request)
    with request.app.state.engine.connect() as conn:
        cal = current_calendar(conn)
        total, rows = _page_of(conn, where, [c.supply_by, c.opened_at, c.case_id], limit, offset)
        owed = still_owed(conn, rows)
        counts = {s: _count(conn, [*_area(view), c.deficiency == s]) for s in OPEN_DEFICIENCY}
        cases = [(CaseSummary(**summary(r, names, cal, view.today)), owed[r.case_id]) for r in rows]
    context = {
        **common(view, "/cases/deficient"), "cases": cases, "state": state, "counts": counts,
        "pager": pager(request, total, limit, offset),
    }  # fmt: skip
    return page(request, "cases_deficient.html", context, nav="/cases")


@router.get("/cases/due", response_class=HTMLResponse, include_in_schema=False)
def due_page(actor: Auditor, request: Request) -> HTMLResponse:
    """Undecided cases past or within NEAR_DUE_DAYS of their promised or legal limit."""
    view = viewing(request, actor)
    which = _choice(request, "which", ("overdue", "legal_overdue", "near"))
    limit, offset = paging(request.query_params)
    names = _names(request)
    with request.app.state.engine.connect() as conn:
        cal = current_calendar(conn)
        day, until = view.today, near_due_until(cal, view.today)
        pending = [*_area(view), c.status.in_([s.value for s in PENDING_DECISION])]
        overdue = or_(c.promised_due < day, c.legal_due < day)
        kinds: dict[str, ColumnElement[bool]] = {
            "overdue": c.promised_due < day,
            "legal_overdue": c.legal_due < day,
            "near": and_(~func.coalesce(overdue, False),
                         or_(c.promised_due <= until, c.legal_due <= until)),
        }  # fmt: skip
        everything = or_(c.promised_due <= until, c.legal_due <= until)
        where = [*pending, kinds[which] if which else everything]
        order = [func.coalesce(c.promised_due, c.legal_due), c.legal_due, c.case_id]
        total, rows = _page_of(conn, where, order, limit, offset)
        counts = {k: _count(conn, [*pending, cond]) for k, cond in kinds.items()}
        counts["all"] = _count(conn, [*pending, everything])
        cases = [CaseSummary(**summary(r, names, cal, day)) for r in rows]
    context = {
        **common(view, "/cases/due"), "cases": cases, "which": which, "counts": counts,
        "pager": pager(request, total, limit, offset),
    }  # fmt: skip
    return page(request, "cases_due.html", context, nav="/cases")


@router.get("/cases/forwarded", response_class=HTMLResponse, include_in_schema=False)
def forwarded_page(actor: Auditor, request: Request) -> HTMLResponse:
    """Cases waiting for a town's or a department's office (报送, 受理, 补正), oldest first,
    with the deciding office and the time left; operators follow the link to act."""
    view = viewing(request, actor)
    waiting = [s.value for s in Status if s in WAITING]  # in the order cases move
    status = _choice(request, "status", waiting)
    limit, offset = paging(request.query_params)
    registry, catalog = request.app.state.registry, request.app.state.catalogs.current
    base = [*_area(view), c.forwarded_to.is_not(None), c.status.in_(waiting)]
    where = [*base, c.status == status] if status else base
    names = _names(request)
    with request.app.state.engine.connect() as conn:
        cal = current_calendar(conn)
        total, rows = _page_of(conn, where, [c.opened_at, c.case_id], limit, offset)
        cases = [
            (CaseSummary(**summary(r, names, cal, view.today)),
             deciding_office(r, registry, catalog))
            for r in rows
        ]  # fmt: skip
        # how many each office has waiting (all of the area's, not just this page)
        offices: Counter[str] = Counter(
            deciding_office(r, registry, catalog)
            for r in conn.execute(select(c.unit, c.forwarded_to, c.matter_code).where(*base))
        )
        by_status = {s: _count(conn, [*base, c.status == s]) for s in waiting}
    context = {
        **common(view, "/cases/forwarded"), "cases": cases, "status": status,
        "offices": offices.most_common(), "by_status": by_status,
        "pager": pager(request, total, limit, offset),
    }  # fmt: skip
    return page(request, "cases_forwarded.html", context, nav="/cases")
