"""Recording a unit's answer to an `erase_resident` command on its erasure receipt (called by
hub.commands.outbox.record_results, in the transaction that records the answer)."""

from __future__ import annotations

import hashlib
import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, select, update

from hub.residents.tables import RECEIPTS

# commands expire within 14 days (hub.commands.outbox.MAX_TTL): older receipts wait for none
OPEN_FOR = timedelta(days=15)


def ref_sha256(ref: str) -> str:
    return hashlib.sha256(ref.encode("ascii")).hexdigest()


def confirm(
    conn: Connection, *, unit: str, command_id: uuid.UUID, data: Any, now: datetime
) -> bool:
    """Mark ``unit`` as having erased, on the receipt that sent it ``command_id``."""
    r = RECEIPTS.c
    rows = conn.execute(
        select(r.id, r.units_told, r.units_confirmed)
        .where(r.erased_at >= now - OPEN_FOR)
        .with_for_update()
    ).all()
    for row in rows:
        if str(command_id) not in (row.units_told or {}).get(unit, []):
            continue
        confirmed = dict(row.units_confirmed or {})
        counts = {k: v for k, v in (data or {}).items() if isinstance(v, int)}
        earlier = confirmed.get(unit, {})
        confirmed[unit] = {k: earlier.get(k, 0) + counts.get(k, 0) for k in {*earlier, *counts}}
        conn.execute(update(RECEIPTS).where(r.id == row.id).values(units_confirmed=confirmed))
        return True
    return False
