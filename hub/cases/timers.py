"""The hub's timers, a loop in `hub serve` beside the rollout driver: the 容缺 sweeps (lapse,
withdraw, propose for the blacklist), delivering blacklist changes to units, and sweeping old
rate-limit windows. It keeps no state: every decision is read from the database, and a second
`hub serve` running the same timers finds each step done (hub.cases.deficiency,
hub.rollouts.blacklist_delivery).

Time comes from ``clock`` (tests drive the timers with an injected clock); the 容缺 sweeps run
every ``case_timer_tick_s``, the blacklist delivery more often so a change goes out within
seconds of its coalescing window."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import Engine
from sqlmodel import Session

from hub import ratelimit
from hub.calendar import current_calendar
from hub.cases.deficiency import DeficiencySweep, sweep_deficiencies
from hub.catalog.store import CatalogStore
from hub.rollouts.blacklist_delivery import deliver_blacklist
from hub.settings import HubSettings
from protocol.calendar import local_date

log = logging.getLogger("bianmin.hub.cases")
DELIVERY_CHECK_S = 2.0


@dataclass
class TimerStats:
    ticks: int = 0
    errors: int = 0
    deficiency: DeficiencySweep = field(default_factory=DeficiencySweep)
    blacklist_rollouts: list[int] = field(default_factory=list)


class CaseTimers:
    def __init__(
        self,
        engine: Engine,
        settings: HubSettings,
        catalogs: CatalogStore,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        on_rollout: Callable[[], None] = lambda: None,
    ) -> None:
        self.engine = engine
        self.settings = settings
        self.catalogs = catalogs
        self.clock = clock
        self.on_rollout = on_rollout  # wakes the rollout driver
        self.stats = TimerStats()
        self._wake = asyncio.Event()

    def wake(self) -> None:
        """The blacklist changed (or a test moved the clock): look now."""
        self._wake.set()

    def grace_days(self, matter_code: str | None) -> int:
        matter = self.catalogs.current.get(matter_code) if matter_code else None
        if matter is not None and matter.deficiency_grace_days is not None:
            return matter.deficiency_grace_days
        return self.settings.deficiency_grace_days

    def sweep_cases(self, now: datetime | None = None) -> DeficiencySweep:
        now = now or self.clock()
        with self.engine.connect() as conn:
            calendar = current_calendar(conn)  # the county's signed calendar (hub.calendar)
        done = sweep_deficiencies(
            self.engine, now=now, today=local_date(now), calendar=calendar,
            grace_days=self.grace_days,
        )  # fmt: skip
        with self.engine.begin() as conn:
            ratelimit.sweep(conn, now)
        return done

    def deliver(self, now: datetime | None = None) -> int | None:
        with Session(self.engine) as session:
            rollout = deliver_blacklist(
                session, now=now or self.clock(), coalesce_s=self.settings.blacklist_coalesce_s
            )
        if rollout is not None:
            self.stats.blacklist_rollouts.append(rollout)
        return rollout

    async def run(self) -> None:
        tick = self.settings.case_timer_tick_s
        check = min(tick, DELIVERY_CHECK_S)
        last_sweep = float("-inf")
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), check)
            woken = self._wake.is_set()
            self._wake.clear()
            try:
                if woken or time.monotonic() - last_sweep >= tick:
                    last_sweep = time.monotonic()
                    swept = await asyncio.to_thread(self.sweep_cases)
                    self._add(swept)
                if await asyncio.to_thread(self.deliver) is not None:
                    self.on_rollout()
                self.stats.ticks += 1
            except Exception:
                self.stats.errors += 1
                log.exception("the case timers failed; trying again")

    def _add(self, swept: DeficiencySweep) -> None:
        total = self.stats.deficiency
        total.lapsed += swept.lapsed
        total.withdrawn += swept.withdrawn
        total.proposed += swept.proposed
        total.failed += swept.failed
