"""Opening follow-ups from the case projection: whenever case records are written (live,
after an action, or by a rebuild), a record with a bad rating gets its follow-up if it has
none. Insert-or-ignore on the case id, so it is opened exactly once whatever how often the
case is projected; the rating itself never changes once given (一事一评, hub.cases.fold)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from hub.calendar import current_calendar
from hub.followups.tables import FOLLOWUPS, FollowupStatus
from hub.sql import insert_for
from protocol.calendar import local_date
from protocol.labels import BAD_RATINGS

DEFAULT_FOLLOWUP_DAYS = 5  # HubSettings.followup_days
NAMESPACE = uuid.UUID("0b7f6a52-8a43-5c8e-9d0f-3e2b6c1a7d24")


def followup_id(case_id: uuid.UUID) -> uuid.UUID:
    return uuid.uuid5(NAMESPACE, str(case_id))


def open_followups(
    conn: Connection, records: Iterable[dict[str, Any]], *, days: int = DEFAULT_FOLLOWUP_DAYS
) -> int:
    """Open the follow-ups these freshly projected records call for; returns how many rows
    the statement touched (0 when they all exist)."""
    bad = [r for r in records if r.get("rating") in BAD_RATINGS and r.get("rated_at")]
    if not bad:
        return 0
    cal = current_calendar(conn)  # the county's signed calendar (hub.calendar)
    rows = []
    for r in bad:
        rated: datetime = r["rated_at"]
        rows.append(
            {
                "id": followup_id(r["case_id"]), "case_id": r["case_id"], "unit": r["unit"],
                "rating": r["rating"], "reason": r.get("rating_reason"), "opened_at": rated,
                "owner": None, "due": cal.add_working_days(local_date(rated), days),
                "status": FollowupStatus.OPEN.value, "updated_at": rated,
            }
        )  # fmt: skip
    stmt = insert_for(conn, FOLLOWUPS).on_conflict_do_nothing(index_elements=["case_id"])
    return int(conn.execute(stmt, rows).rowcount)
