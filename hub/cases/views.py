"""What the API shows of a case: the summary in lists and exports, and the detail with its
timeline and time limits."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import Connection, select

from hub.cases.project import ACTIONS, CASE_KIND, EVENTS
from hub.cases.timelimits import limits
from protocol.calendar import WorkCalendar


class CaseSummary(BaseModel):
    case_id: uuid.UUID
    case_ref: str | None
    unit: str
    village: str | None  # the village's name, from the registry
    town: str | None  # its division's code
    opened_at: datetime
    matter_code: str | None
    matter_name: str | None  # from the current catalog
    department: str | None
    approval: str | None
    instant: bool
    id_method: str | None
    id_masked: str | None
    clerk: str | None
    agent: str | None
    window_state: str
    status: str
    deficiency: str
    accepted_on: date | None
    legal_due: date | None
    promised_due: date | None
    supply_by: date | None
    ended_at: datetime | None
    rating: int | None
    rating_label: str | None
    legal_left: int | None
    promised_left: int | None
    supply_left: int | None
    overdue: bool
    near_due: bool
    on_time: bool | None


class TimelineEntry(BaseModel):
    at: datetime
    source: str  # "unit" or "hub"
    by: str  # the unit, or the hub actor
    step: str  # a window state or a hub action
    data: dict[str, Any]


class CaseDetail(CaseSummary):
    applicant_ref: str | None
    given: list[str]
    waived: list[list[str]]
    owed: list[str]
    missing: list[str]
    supplied_at: datetime | None
    forwarded_to: str | None
    result: str | None
    rating_reason: str | None
    rated_at: datetime | None
    signature_sha256: str | None
    legal_overdue: bool
    supply_overdue: bool
    timeline: list[TimelineEntry]


class Names:
    """Village, town, matter and department names for a page of cases."""

    def __init__(self, registry: Any, catalog: Any) -> None:
        self.registry = registry
        self.matters = {m.code: m for m in catalog.matters} if catalog is not None else {}

    def village(self, unit: str) -> tuple[str | None, str | None]:
        try:
            v = self.registry.village(unit)
        except LookupError:
            return None, None
        return v.name, v.division

    def matter(self, code: str | None) -> tuple[str | None, str | None]:
        m = self.matters.get(code) if code else None
        return (m.name, m.department) if m is not None else (None, None)


def summary(row: Any, names: Names, cal: WorkCalendar, today: date) -> dict[str, Any]:
    village, town = names.village(row.unit)
    matter, department = names.matter(row.matter_code)
    lim = limits(row, cal, today)
    fields = {k: getattr(row, k) for k in CaseSummary.model_fields if hasattr(row, k)}
    return {
        **fields, "village": village, "town": town, "matter_name": matter,
        "department": department, "legal_left": lim.legal_left,
        "promised_left": lim.promised_left, "supply_left": lim.supply_left,
        "overdue": lim.overdue, "near_due": lim.near_due, "on_time": lim.on_time,
        "legal_overdue": lim.legal_overdue, "supply_overdue": lim.supply_overdue,
    }  # fmt: skip


def detail(conn: Connection, row: Any, names: Names, cal: WorkCalendar, today: date) -> CaseDetail:
    base = summary(row, names, cal, today)
    extra = {
        k: getattr(row, k) for k in CaseDetail.model_fields if k not in base and k != "timeline"
    }
    return CaseDetail(**base, **extra, timeline=timeline(conn, row.case_id))


def timeline(conn: Connection, case_id: uuid.UUID) -> list[TimelineEntry]:
    entries = [
        TimelineEntry(
            at=e.ts,
            source="unit",
            by=e.unit,
            step=e.state or "",
            data=(e.body or {}).get("data") or {},
        )
        for e in conn.execute(
            select(EVENTS.c.ts, EVENTS.c.unit, EVENTS.c.state, EVENTS.c.body, EVENTS.c.seq)
            .where(EVENTS.c.case_id == case_id, EVENTS.c.kind == CASE_KIND)
            .order_by(EVENTS.c.ts, EVENTS.c.seq)
        )
    ]
    entries += [
        TimelineEntry(at=a.at, source="hub", by=a.actor, step=a.kind, data=a.data or {})
        for a in conn.execute(
            select(ACTIONS).where(ACTIONS.c.case_id == case_id).order_by(ACTIONS.c.at)
        )
    ]
    return sorted(entries, key=lambda t: t.at)
