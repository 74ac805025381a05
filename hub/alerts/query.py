"""Reading alerts for an account's area: a unit's alerts when the area covers the unit, a
rollout's when the rollout reached a unit of the area. Shared by the API and the page."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, case, false, func, or_, select

from hub.alerts.conditions import ALERT_LABELS, AlertKind
from hub.alerts.store import ALERTS
from hub.rollouts.area import rollouts_reaching
from hub.sql import chunks

ROLLOUT_PREFIX = "rollout:"


def area_filter(conn: Connection, area_units: frozenset[str] | None) -> list[ColumnElement[bool]]:
    """WHERE clauses keeping the alerts of the area (none for the county)."""
    if area_units is None:
        return []
    subjects = [ROLLOUT_PREFIX + str(r) for r in sorted(rollouts_reaching(conn, area_units))]
    subjects += sorted(area_units)
    if not subjects:
        return [false()]
    return [or_(*(ALERTS.c.subject.in_(list(part)) for part in chunks(subjects)))]


@dataclass(frozen=True)
class AlertFilter:
    open_only: bool = True
    kind: AlertKind | None = None
    unit: str | None = None  # one unit's alerts
    unacknowledged: bool = False

    def where(self) -> list[ColumnElement[bool]]:
        out: list[ColumnElement[bool]] = []
        if self.open_only:
            out.append(ALERTS.c.cleared_at.is_(None))
        if self.kind is not None:
            out.append(ALERTS.c.kind == self.kind.value)
        if self.unit is not None:
            out.append(ALERTS.c.subject == self.unit)
        if self.unacknowledged:
            out.append(ALERTS.c.acknowledged_at.is_(None))
        return out


def count_alerts(conn: Connection, where: Sequence[ColumnElement[bool]]) -> int:
    return int(conn.execute(select(func.count()).select_from(ALERTS).where(*where)).scalar_one())


def list_alerts(
    conn: Connection, where: Sequence[ColumnElement[bool]], *, limit: int, offset: int
) -> list[Any]:
    """Open alerts first, newest first."""
    return list(
        conn.execute(
            select(ALERTS)
            .where(*where)
            .order_by(ALERTS.c.cleared_at.is_not(None), ALERTS.c.started_at.desc(), ALERTS.c.id)
            .limit(limit)
            .offset(offset)
        ).all()
    )


@dataclass(frozen=True)
class KindSummary:
    kind: str
    label: str
    open: int
    oldest_started_at: datetime  # the longest-open alert of the kind began then
    unacknowledged: int


def open_by_kind(conn: Connection, area: Sequence[ColumnElement[bool]]) -> list[KindSummary]:
    """Open alerts per kind, with how long the oldest has been open: the overview's list."""
    rows = conn.execute(
        select(
            ALERTS.c.kind,
            func.count(),
            func.min(ALERTS.c.started_at),
            func.sum(case((ALERTS.c.acknowledged_at.is_(None), 1), else_=0)),
        )
        .where(ALERTS.c.cleared_at.is_(None), *area)
        .group_by(ALERTS.c.kind)
    ).all()
    out = []
    for kind, n, oldest, unacked in rows:
        label = {k.value: v for k, v in ALERT_LABELS.items()}.get(kind, kind)
        out.append(KindSummary(kind, label, int(n), oldest, int(unacked or 0)))
    return sorted(out, key=lambda k: k.oldest_started_at)
