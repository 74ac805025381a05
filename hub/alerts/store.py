"""The alert table and its reconciliation with the conditions that hold now."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Connection, Index, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Field, SQLModel

from hub.alerts.conditions import Condition
from hub.models import _utc


class Alert(SQLModel, table=True):
    """One episode of one condition: raised when it begins, cleared when it ends. At most one
    open episode per (kind, subject): a partial unique index, so two hub processes
    reconciling at once cannot raise the same alert twice."""

    __table_args__ = (
        Index(
            "alert_open",
            "kind",
            "subject",
            unique=True,
            sqlite_where=text("cleared_at IS NULL"),
            postgresql_where=text("cleared_at IS NULL"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=32)
    subject: str = Field(max_length=80)
    started_at: datetime = _utc(nullable=False)  # when the cause began
    raised_at: datetime = _utc(nullable=False)  # when the hub noticed
    cleared_at: datetime | None = _utc(nullable=True)
    acknowledged_at: datetime | None = _utc(nullable=True)
    acknowledged_by: str | None = Field(default=None, max_length=64)
    notifications: int = 0  # how many times it was sent out (escalation)
    last_notified_at: datetime | None = _utc(nullable=True)
    detail: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


ALERTS = Alert.__table__  # type: ignore[attr-defined]


def open_alerts(conn: Connection) -> dict[tuple[str, str], Any]:
    rows = conn.execute(select(ALERTS).where(ALERTS.c.cleared_at.is_(None)))
    return {(r.kind, r.subject): r for r in rows}


def reconcile(
    conn: Connection, conditions: list[Condition], now: datetime
) -> tuple[int, list[int]]:
    """Raise what began, clear what ended; returns (how many raised, the ids cleared here)."""
    current = {c.key: c for c in conditions}
    existing = open_alerts(conn)
    raised, cleared = 0, []
    for key, cond in current.items():
        if key in existing:
            if existing[key].detail != cond.detail:
                conn.execute(
                    update(ALERTS).where(ALERTS.c.id == existing[key].id).values(detail=cond.detail)
                )
            continue
        try:
            with conn.begin_nested():
                conn.execute(
                    ALERTS.insert().values(
                        kind=cond.kind.value, subject=cond.subject, started_at=cond.started_at,
                        raised_at=now, detail=cond.detail, notifications=0,
                    )
                )  # fmt: skip
            raised += 1
        except IntegrityError:
            pass  # another hub process raised it first
    for key, row in existing.items():
        if key not in current:
            done = conn.execute(
                update(ALERTS)
                .where(ALERTS.c.id == row.id, ALERTS.c.cleared_at.is_(None))
                .values(cleared_at=now)
            ).rowcount
            if done:  # not already cleared by another hub process
                cleared.append(row.id)
    return raised, cleared
