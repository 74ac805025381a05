"""The case API: list with filters (paged, or all as CSV), one case with its timeline and
time limits, and the county's counts. Cases hold personal references (a keyed hash and a
masked ID number), so reading them needs the auditor role or above; the anonymous local
viewer sees none. An account scoped to a town or village reaches its own units' cases only
(in the list, the counts and the CSV); another case is answered as not found."""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ValidationError
from sqlalchemy import Connection, select

from hub.accounts.area import covers, within
from hub.accounts.auth import Auditor
from hub.accounts.roles import Actor
from hub.calendar import current_calendar
from hub.cases.counts import case_counts
from hub.cases.fold import Status
from hub.cases.project import RECORDS
from hub.cases.query import MAX_PAGE, CaseFilter, conditions, find, stream
from hub.cases.views import CaseDetail, CaseSummary, Names, detail, summary
from hub.deps import hub_now
from hub.errors import CaseNotFound, InvalidRequest, UnknownTarget
from protocol.calendar import local_date

router = APIRouter(prefix="/api")


class CasePage(BaseModel):
    total: int
    offset: int
    limit: int
    cases: list[CaseSummary]


def today(request: Request) -> date:
    """The local day time limits are counted to, on the hub's clock."""
    return local_date(hub_now(request.app))


def _filters(
    request: Request,
    actor: Auditor,
    village: Annotated[str | None, Query(max_length=64)] = None,
    town: Annotated[str | None, Query(max_length=64, description="division code")] = None,
    matter: Annotated[str | None, Query(max_length=64)] = None,
    department: Annotated[str | None, Query(max_length=100)] = None,
    status: Status | None = None,
    overdue: bool | None = None,
    near_due: bool | None = None,
    owed: bool | None = None,
    forwarded_to: Annotated[str | None, Query(max_length=16)] = None,
    rating_at_most: Annotated[int | None, Query(ge=1, le=5)] = None,
    opened_from: Annotated[date | None, Query(alias="from")] = None,
    opened_to: Annotated[date | None, Query(alias="to")] = None,
    ref: Annotated[str | None, Query(max_length=64, description="case number or its tail")] = None,
    deferred: Annotated[bool | None, Query(description="accepted with 容缺")] = None,
    forwarded: bool | None = None,
) -> CaseFilter:
    """The query's filters as a CaseFilter: a town becomes its villages' units (from the
    registry), a department its matters (from the current catalog)."""
    units = None
    if town is not None:
        try:
            units = tuple(v.unit_id for v in request.app.state.registry.in_division(town))
        except LookupError:
            raise UnknownTarget(
                f"no town or subdistrict {town!r} in the village registry"
            ) from None
    units = within(actor.area, request.app.state.registry, units)
    matters: tuple[str, ...] | None = (matter,) if matter is not None else None
    if department is not None:
        catalog = request.app.state.catalogs.current
        dept = tuple(m.code for m in catalog.matters if m.department == department)
        matters = tuple(set(dept) & set(matters)) if matters is not None else dept
    try:
        return CaseFilter(
            village=village, units=units, matters=matters, status=status, overdue=overdue,
            near_due=near_due, owed=owed, forwarded_to=forwarded_to,
            rating_at_most=rating_at_most, opened_from=opened_from, opened_to=opened_to,
            ref=ref, deferred=deferred, forwarded=forwarded,
        )  # fmt: skip
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise InvalidRequest(f"{where}: {first['msg']}") from None


Filters = Annotated[CaseFilter, Depends(_filters)]


def case_in_area(conn: Connection, case_id: uuid.UUID, actor: Actor, request: Request) -> Any:
    """The case_record row, or CaseNotFound: a case outside the actor's area is answered as
    missing, never as forbidden (which would say it exists)."""
    row = conn.execute(select(RECORDS).where(RECORDS.c.case_id == case_id)).first()
    if row is None or not covers(actor.area, request.app.state.registry, row.unit):
        raise CaseNotFound(f"no case {case_id}")
    return row


def _names(request: Request) -> Names:
    return Names(request.app.state.registry, request.app.state.catalogs.current)


@router.get("/cases")
def list_cases(
    _: Auditor,
    request: Request,
    f: Filters,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> CasePage:
    engine = request.app.state.engine
    names, day = _names(request), today(request)
    with engine.connect() as conn:
        cal = current_calendar(conn)
        total, rows = find(conn, f, cal, day, limit=limit, offset=offset)
        cases = [CaseSummary(**summary(r, names, cal, day)) for r in rows]
    return CasePage(total=total, offset=offset, limit=limit, cases=cases)


CSV_COLUMNS = tuple(CaseSummary.model_fields)


@router.get("/cases.csv")
def export_cases(_: Auditor, request: Request, f: Filters) -> StreamingResponse:
    """Every matching case as CSV (UTF-8 with a byte-order mark, so spreadsheet programs
    read the Chinese names), streamed however many there are."""
    engine = request.app.state.engine
    names, day = _names(request), today(request)

    def rows() -> Iterator[bytes]:
        buf = io.StringIO()
        out = csv.writer(buf)
        out.writerow(CSV_COLUMNS)
        yield "\ufeff".encode() + _drain(buf)
        with engine.connect() as conn:
            cal = current_calendar(conn)
            for i, r in enumerate(stream(conn, f, cal, day)):
                s = summary(r, names, cal, day)
                out.writerow(["" if s.get(k) is None else s.get(k) for k in CSV_COLUMNS])
                if i % 200 == 199:
                    yield _drain(buf)
        yield _drain(buf)

    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    return StreamingResponse(
        rows(),
        media_type="text/csv; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="cases-{stamp}.csv"'},
    )


def _drain(buf: io.StringIO) -> bytes:
    data = buf.getvalue().encode()
    buf.seek(0)
    buf.truncate()
    return data


@router.get("/cases/counts")
def counts(_: Auditor, request: Request, f: Filters) -> dict[str, Any]:
    """The county's figures over the matching cases (the same filters as the list)."""
    with request.app.state.engine.connect() as conn:
        day = today(request)
        return case_counts(conn, conditions(f, current_calendar(conn), day), day)


@router.get("/cases/{case_id}")
def get_case(case_id: uuid.UUID, actor: Auditor, request: Request) -> CaseDetail:
    with request.app.state.engine.connect() as conn:
        row = case_in_area(conn, case_id, actor, request)
        return detail(conn, row, _names(request), current_calendar(conn), today(request))
