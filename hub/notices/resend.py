"""What the `cmd` channel's outboxes share (case notices, operator commands): a signed document
waiting for its unit is published when due by a doubling back-off, at once to a unit that just
connected, and due again at once when the broker never took it."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Connection, Table, or_, select, update

CLAIM_LIMIT = 500  # documents published per pass


@dataclass(frozen=True)
class Due:
    id: uuid.UUID
    unit: str
    document: bytes


def claim(
    conn: Connection,
    table: Table,
    waiting: ColumnElement[bool],
    *,
    now: datetime,
    online: Iterable[str],
    first_after_s: float,
    max_after_s: float,
    limit: int,
    sent: dict[str, Any] | None = None,
) -> list[Due]:
    """The ``waiting`` rows of ``table`` to publish now: those due by the back-off and every one
    of the units in ``online``; each gets its next time (``sent`` adds values to set)."""
    c = table.c
    units = sorted(set(online))
    due = c.next_at <= now
    if units:
        due = or_(due, c.unit.in_(units))
    rows = conn.execute(
        select(c.id, c.unit, c.document, c.attempts)
        .where(waiting, due)
        .order_by(c.next_at)
        .limit(limit)
    ).all()
    for r in rows:
        wait = min(first_after_s * 2 ** min(r.attempts, 16), max_after_s)
        conn.execute(
            update(table)
            .where(c.id == r.id)
            .values(
                **(sent or {}), sent_at=now, attempts=r.attempts + 1,
                next_at=now + timedelta(seconds=wait),
            )
        )  # fmt: skip
    return [Due(r.id, r.unit, bytes(r.document)) for r in rows]


def unsent(conn: Connection, table: Table, ids: Sequence[uuid.UUID], now: datetime) -> None:
    """Claimed but never handed to the broker (it went away): due again at once."""
    if ids:
        conn.execute(update(table).where(table.c.id.in_(list(ids))).values(next_at=now))
