"""When an open, unacknowledged alert is sent out again: at once when raised, then after each
delay of the policy (the last one repeating) until someone acknowledges it or it clears.

Sending is claimed in the database (the notification count moves only from the value read),
so with two hub processes an alert goes out once per step."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, select, update

from hub.alerts.store import ALERTS


@dataclass(frozen=True)
class Escalation:
    steps: tuple[timedelta, ...] = (
        timedelta(minutes=15), timedelta(hours=1), timedelta(hours=4),
    )  # fmt: skip

    def next_due(self, alert: Any) -> datetime | None:
        if alert.acknowledged_at is not None or alert.cleared_at is not None:
            return None
        n = int(alert.notifications)
        if n == 0 or alert.last_notified_at is None:
            return alert.raised_at  # type: ignore[no-any-return]
        return alert.last_notified_at + self.steps[min(n - 1, len(self.steps) - 1)]  # type: ignore[no-any-return]


def claim_due(conn: Connection, policy: Escalation, now: datetime) -> list[Any]:
    """The open alerts due to be sent now, each claimed for this process."""
    rows = conn.execute(
        select(ALERTS).where(ALERTS.c.cleared_at.is_(None), ALERTS.c.acknowledged_at.is_(None))
    ).all()
    claimed = []
    for r in rows:
        due = policy.next_due(r)
        if due is None or due > now:
            continue
        won = conn.execute(
            update(ALERTS)
            .where(ALERTS.c.id == r.id, ALERTS.c.notifications == r.notifications)
            .values(notifications=r.notifications + 1, last_notified_at=now)
        ).rowcount
        if won:
            claimed.append(r)
    return claimed
