"""What 容缺 cases still owe: a case's owed materials (as accepted) minus every 补齐 so far,
from the supplied events of any window and the back office's supplied actions, in time order
(the same rule as hub.cases.fold.remaining_owed)."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select

from hub.cases.fold import ActionKind, remaining_owed
from hub.cases.project import ACTIONS, CASE_KIND, EVENTS
from protocol.case import SUPPLIED_STATE


def still_owed(conn: Connection, records: Sequence[Any]) -> dict[uuid.UUID, list[str]]:
    """Case id -> materials still owed, for these case_record rows."""
    ids = [r.case_id for r in records]
    if not ids:
        return {}
    handed: dict[uuid.UUID, list[tuple[datetime, dict[str, Any]]]] = defaultdict(list)
    for e in conn.execute(
        select(EVENTS.c.case_id, EVENTS.c.ts, EVENTS.c.body).where(
            EVENTS.c.case_id.in_(ids),
            EVENTS.c.kind == CASE_KIND,
            EVENTS.c.state == SUPPLIED_STATE,
        )
    ):
        data = e.body.get("data") if isinstance(e.body, dict) else None
        handed[e.case_id].append((e.ts, data or {}))
    for a in conn.execute(
        select(ACTIONS.c.case_id, ACTIONS.c.at, ACTIONS.c.data).where(
            ACTIONS.c.case_id.in_(ids), ACTIONS.c.kind == ActionKind.SUPPLIED.value
        )
    ):
        handed[a.case_id].append((a.at, a.data or {}))
    return {
        r.case_id: remaining_owed(
            r.owed or [], [d for _, d in sorted(handed[r.case_id], key=lambda x: x[0])]
        )
        for r in records
    }
