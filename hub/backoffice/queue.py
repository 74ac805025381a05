"""What a back office reads: its queue (the cases of its scope waiting for it, oldest first,
with their time limits) and one case with its timeline, its notices and the steps it allows."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import Connection, func, select

from hub.backoffice.reach import Reach
from hub.backoffice.steps import WAITING, allowed_steps
from hub.cases.actions import case_row
from hub.cases.project import RECORDS
from hub.cases.views import CaseDetail, CaseSummary, Names, detail, summary
from hub.notices.outbox import for_case
from protocol.calendar import WorkCalendar
from protocol.catalog import Catalog
from protocol.villages import VillageRegistry

MAX_QUEUE_PAGE = 500


class QueuePage(BaseModel):
    office: str
    total: int
    offset: int
    limit: int
    cases: list[CaseSummary]


class NoticeState(BaseModel):
    id: uuid.UUID
    step: str
    status: str  # hub.notices.tables.NoticeStatus
    created_at: datetime
    sent_at: datetime | None
    attempts: int
    answered_at: datetime | None
    detail: str | None


class BackOfficeCase(CaseDetail):
    allowed: list[str]  # the steps the case's status allows (hub.backoffice.steps.RULES)
    notices: list[NoticeState]


def queue(
    conn: Connection,
    reach: Reach,
    registry: VillageRegistry,
    catalog: Catalog,
    cal: WorkCalendar,
    today: date,
    *,
    limit: int,
    offset: int,
) -> QueuePage:
    names = Names(registry, catalog)
    where = [
        *reach.conditions(registry, catalog),
        RECORDS.c.status.in_([s.value for s in WAITING]),
    ]
    total = conn.execute(select(func.count()).select_from(RECORDS).where(*where)).scalar_one()
    rows = conn.execute(
        select(RECORDS)
        .where(*where)
        .order_by(RECORDS.c.opened_at, RECORDS.c.case_id)
        .limit(min(limit, MAX_QUEUE_PAGE))
        .offset(offset)
    ).all()
    return QueuePage(
        office=reach.label(registry),
        total=int(total),
        offset=offset,
        limit=limit,
        cases=[CaseSummary(**summary(r, names, cal, today)) for r in rows],
    )


def one_case(
    conn: Connection,
    case_id: uuid.UUID,
    reach: Reach,
    registry: VillageRegistry,
    catalog: Catalog,
    cal: WorkCalendar,
    today: date,
) -> BackOfficeCase:
    """The case as its back office sees it; OutOfScope for a case outside its reach. The
    applicant's keyed reference stays with auditors: the office has the masked number."""
    row = case_row(conn, case_id)
    reach.check(row, registry, catalog)
    base: dict[str, Any] = detail(conn, row, Names(registry, catalog), cal, today).model_dump()
    base["applicant_ref"] = None
    return BackOfficeCase(
        **base,
        allowed=allowed_steps(row.status),
        notices=[NoticeState(**n) for n in for_case(conn, case_id)],
    )
