"""Finding cases: the filters the API, the CSV export and the pages share, as SQL on
case_record, and the page of results."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date, datetime, time, timedelta
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from sqlalchemy import ColumnElement, Connection, and_, func, or_, select

from hub.cases.fold import PENDING_DECISION, Deficiency, Status
from hub.cases.project import RECORDS
from hub.cases.timelimits import near_due_until
from protocol.calendar import CHINA, WorkCalendar
from protocol.topics import UNIT_ID_PATTERN

UnitId = Annotated[str, StringConstraints(pattern=rf"^{UNIT_ID_PATTERN}$")]
Code = Annotated[str, StringConstraints(min_length=1, max_length=64)]
# a case number or its tail as people type it (letters, digits, dashes: nothing LIKE reads)
CaseRefQuery = Annotated[
    str, StringConstraints(strip_whitespace=True, to_upper=True, pattern=r"^[A-Za-z0-9-]{1,64}$")
]
MAX_PAGE = 500


class CaseFilter(BaseModel):
    """What to list. Empty means everything; the fields combine with AND."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    village: UnitId | None = None  # the unit of the village's window
    units: tuple[UnitId, ...] | None = None  # a town's villages (resolved from `town`)
    matters: tuple[Code, ...] | None = None  # a matter, or a department's matters
    status: Status | None = None
    overdue: bool | None = None  # past the promised limit, not decided
    near_due: bool | None = None  # within hub.cases.timelimits.NEAR_DUE_DAYS of it
    owed: bool | None = None  # 容缺 materials still owed (owed or lapsed)
    forwarded_to: Annotated[str, StringConstraints(max_length=16)] | None = None
    rating_at_most: Annotated[int, Field(ge=1, le=5)] | None = None
    opened_from: date | None = None  # local days, inclusive
    opened_to: date | None = None
    ref: CaseRefQuery | None = None  # the whole case number, or its last characters
    deferred: bool | None = None  # accepted with 容缺 (whatever became of what was owed)
    forwarded: bool | None = None  # sent to a town or a department


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time(0), CHINA)


def conditions(f: CaseFilter, cal: WorkCalendar, today: date) -> list[ColumnElement[bool]]:
    c = RECORDS.c
    where: list[ColumnElement[bool]] = []
    if f.village is not None:
        where.append(c.unit == f.village)
    if f.units is not None:
        where.append(c.unit.in_(f.units))
    if f.matters is not None:
        where.append(c.matter_code.in_(f.matters))
    if f.status is not None:
        where.append(c.status == f.status.value)
    if f.forwarded_to is not None:
        where.append(c.forwarded_to == f.forwarded_to)
    if f.rating_at_most is not None:
        where.append(c.rating <= f.rating_at_most)
    pending = c.status.in_([s.value for s in PENDING_DECISION])
    if f.overdue is not None:
        late = and_(pending, c.promised_due < today)
        where.append(late if f.overdue else ~late)
    if f.near_due is not None:
        near = and_(pending, c.promised_due >= today, c.promised_due <= near_due_until(cal, today))
        where.append(near if f.near_due else ~near)
    if f.owed is not None:
        owed = c.deficiency.in_([Deficiency.OWED.value, Deficiency.LAPSED.value])
        where.append(owed if f.owed else ~owed)
    if f.ref is not None:
        where.append(or_(c.case_ref == f.ref, c.case_ref.like(f"%-{f.ref}")))
    if f.deferred is not None:
        deferred = c.deficiency != Deficiency.NONE.value
        where.append(deferred if f.deferred else ~deferred)
    if f.forwarded is not None:
        where.append(c.forwarded_to.is_not(None) if f.forwarded else c.forwarded_to.is_(None))
    if f.opened_from is not None:
        where.append(c.opened_at >= _day_start(f.opened_from))
    if f.opened_to is not None:
        where.append(c.opened_at < _day_start(f.opened_to + timedelta(1)))
    return where


def find(
    conn: Connection,
    f: CaseFilter,
    cal: WorkCalendar,
    today: date,
    *,
    limit: int = 50,
    offset: int = 0,
) -> tuple[int, Sequence[Any]]:
    """(how many match, the page of rows), newest first."""
    where = conditions(f, cal, today)
    total = conn.execute(select(func.count()).select_from(RECORDS).where(*where)).scalar_one()
    rows = conn.execute(
        select(RECORDS)
        .where(*where)
        .order_by(RECORDS.c.opened_at.desc(), RECORDS.c.case_id)
        .limit(min(limit, MAX_PAGE))
        .offset(offset)
    ).all()
    return int(total), rows


def stream(conn: Connection, f: CaseFilter, cal: WorkCalendar, today: date) -> Iterator[Any]:
    """Every matching row, oldest first, fetched in pages (for exports of any size)."""
    where = conditions(f, cal, today)
    result = conn.execution_options(yield_per=1000).execute(
        select(RECORDS).where(*where).order_by(RECORDS.c.opened_at, RECORDS.c.case_id)
    )
    yield from result


def by_token(conn: Connection, token_sha256: str) -> Any | None:
    return conn.execute(
        select(RECORDS).where(RECORDS.c.status_token_sha256 == token_sha256)
    ).first()
