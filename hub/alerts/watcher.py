"""The hub's alert timer: every tick it computes which conditions hold from the database,
raises and clears alerts, and sends those due on the escalation policy. It runs on the hub's
clock, not on units' messages: a unit that goes silent is an alert after the threshold
whether or not it ever comes back."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, select, update

from hub.alerts.conditions import (
    Thresholds,
    offline_blacklist_conditions,
    rollout_conditions,
    unit_conditions,
)
from hub.alerts.escalation import Escalation, claim_due
from hub.alerts.notify import Notifier, message
from hub.alerts.store import ALERTS, reconcile
from hub.cases.tables import CaseRecord
from hub.loops import TickLoop
from hub.models import Unit
from hub.rollouts.store import ROLLOUTS
from hub.window.blacklist import BlacklistEntry

log = logging.getLogger("bianmin.hub.alerts")
UNITS = Unit.__table__  # type: ignore[attr-defined]
CASES = CaseRecord.__table__  # type: ignore[attr-defined]
LISTED = BlacklistEntry.__table__  # type: ignore[attr-defined]


def evaluate(
    engine: Engine, now: datetime, thresholds: Thresholds, policy: Escalation
) -> list[dict[str, Any]]:
    """One pass in one transaction; returns the messages to send."""
    with engine.begin() as conn:
        units = conn.execute(
            select(
                UNITS.c.id, UNITS.c.last_seen, UNITS.c.online, UNITS.c.health,
                UNITS.c.health_at, UNITS.c.clock_drift, UNITS.c.clock_offset_s,
            )
        ).all()  # fmt: skip
        rollouts = conn.execute(
            select(ROLLOUTS.c.id, ROLLOUTS.c.state, ROLLOUTS.c.paused_reason, ROLLOUTS.c.updated_at)
            .where(ROLLOUTS.c.state == "paused")
        ).all()  # fmt: skip
        listed = conn.execute(  # the blacklist is short; applicant_ref is indexed
            select(CASES.c.unit, CASES.c.case_ref, CASES.c.times)
            .join(LISTED, LISTED.c.applicant_ref == CASES.c.applicant_ref)
        ).all()  # fmt: skip
        conditions = unit_conditions(units, now, thresholds) + rollout_conditions(rollouts)
        conditions += offline_blacklist_conditions(listed, now)
        before = {
            r.id for r in conn.execute(select(ALERTS.c.id).where(ALERTS.c.cleared_at.is_(None)))
        }
        reconcile(conn, conditions, now)
        cleared = conn.execute(
            select(ALERTS).where(ALERTS.c.id.in_(before), ALERTS.c.cleared_at == now)
        ).all()
        due = claim_due(conn, policy, now)
    out = [message("raised" if a.notifications == 0 else "repeated", a) for a in due]
    out += [message("cleared", a) for a in cleared if a.notifications > 0]
    return out


def acknowledge(conn: Connection, alert_id: int, by: str, now: datetime) -> bool:
    """Mark an alert acknowledged (once); the caller's transaction also holds its audit entry."""
    return bool(
        conn.execute(
            update(ALERTS)
            .where(ALERTS.c.id == alert_id, ALERTS.c.acknowledged_at.is_(None))
            .values(acknowledged_at=now, acknowledged_by=by[:64])
        ).rowcount
    )


class AlertWatcher(TickLoop):
    def __init__(
        self,
        engine: Engine,
        notifier: Notifier,
        *,
        tick_s: float = 15.0,
        thresholds: Thresholds | None = None,
        policy: Escalation | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        super().__init__(tick_s, start_at_once=True)
        self.engine = engine
        self.notifier = notifier
        self.thresholds = thresholds or Thresholds()
        self.policy = policy or Escalation()
        self.clock = clock
        self.passes = 0
        self.errors = 0

    async def run(self) -> None:
        while await self.next_pass():
            try:
                messages = await asyncio.to_thread(
                    evaluate, self.engine, self.clock(), self.thresholds, self.policy
                )
                self.passes += 1
                await self.notifier.send(messages)
            except Exception:
                self.errors += 1
                log.exception("alert pass failed; trying again")


def alert_watcher(
    settings: Any, engine: Engine, *, clock: Callable[[], datetime] | None = None
) -> AlertWatcher:
    """The watcher as HubSettings configure it, on the hub's clock."""
    return AlertWatcher(
        engine,
        Notifier(settings.alert_webhook_url),
        clock=clock or (lambda: datetime.now(UTC)),
        tick_s=settings.alert_tick_s,
        thresholds=Thresholds(offline_after=timedelta(seconds=settings.alert_offline_after_s)),
        policy=Escalation(tuple(timedelta(seconds=s) for s in settings.alert_escalation_s)),
    )
