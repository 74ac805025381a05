"""The integrity blacklist as people read it: each listed applicant with the case that put
them there (its number, village and masked ID number), and its history from the audit log
(every proposal decided, every listing and removal, who and when). The list holds at every
window of the county, so it is read whole, whatever the reader's area.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import Connection, func, select

from hub.audit import AUDIT
from hub.cases.project import RECORDS
from hub.window.blacklist import BlacklistEntry
from hub.window.proposals import PROPOSALS

ENTRIES = BlacklistEntry.__table__  # type: ignore[attr-defined]
TARGET = "applicant/"
HISTORY_ACTIONS = ("blacklist.add", "blacklist.remove", "blacklist.confirm", "blacklist.reject")


class ListedApplicant(BaseModel):
    applicant_ref: str
    reason: str
    listed_at: datetime
    listed_by: str
    # the latest confirmed proposal's case, when the listing came from one
    case_id: Any = None
    case_ref: str | None = None
    unit: str | None = None
    id_masked: str | None = None


class HistoryEntry(BaseModel):
    at: datetime
    actor: str
    action: str
    applicant_ref: str
    detail: dict[str, Any]


def listed(
    conn: Connection, *, limit: int = 50, offset: int = 0
) -> tuple[int, list[ListedApplicant]]:
    """(how many, a page of) listed applicants, the latest listed first."""
    total = conn.execute(select(func.count()).select_from(ENTRIES)).scalar_one()
    rows = conn.execute(
        select(ENTRIES)
        .order_by(ENTRIES.c.listed_at.desc(), ENTRIES.c.applicant_ref)
        .limit(limit)
        .offset(offset)
    ).all()
    cases = _confirmed_cases(conn, [r.applicant_ref for r in rows])
    return int(total), [
        ListedApplicant(**dict(r._mapping), **cases.get(r.applicant_ref, {})) for r in rows
    ]


def _confirmed_cases(conn: Connection, refs: list[str]) -> dict[str, dict[str, Any]]:
    if not refs:
        return {}
    rows = conn.execute(
        select(PROPOSALS.c.applicant_ref, PROPOSALS.c.case_id, PROPOSALS.c.case_ref,
               PROPOSALS.c.unit, RECORDS.c.id_masked)
        .outerjoin(RECORDS, RECORDS.c.case_id == PROPOSALS.c.case_id)
        .where(PROPOSALS.c.applicant_ref.in_(refs), PROPOSALS.c.state == "confirmed")
        .order_by(PROPOSALS.c.decided_at)
    )  # fmt: skip
    found: dict[str, dict[str, Any]] = {}
    for r in rows:  # the latest confirmation wins
        found[r.applicant_ref] = {
            "case_id": r.case_id, "case_ref": r.case_ref, "unit": r.unit, "id_masked": r.id_masked,
        }  # fmt: skip
    return found


def history(
    conn: Connection, *, limit: int = 50, offset: int = 0
) -> tuple[int, list[HistoryEntry]]:
    """(how many, a page of) blacklist changes from the audit log, the latest first."""
    where = [AUDIT.c.action.in_(HISTORY_ACTIONS)]
    total = conn.execute(select(func.count()).select_from(AUDIT).where(*where)).scalar_one()
    rows = conn.execute(
        select(AUDIT).where(*where).order_by(AUDIT.c.id.desc()).limit(limit).offset(offset)
    )
    return int(total), [
        HistoryEntry(
            at=r.at, actor=r.actor, action=r.action,
            applicant_ref=r.target.removeprefix(TARGET), detail=r.detail or {},
        )
        for r in rows
    ]  # fmt: skip
