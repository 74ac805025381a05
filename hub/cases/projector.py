"""The case projector: a loop in every hub process that ingests, draining the pending queue
(hub.cases.project) after each ingest commit, and on a slow tick for whatever another
process queued. It holds no state: a restarted hub finds the queue where it was."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass

from sqlalchemy import Engine

from hub.cases.project import drain_pending
from hub.followups.hook import DEFAULT_FOLLOWUP_DAYS

log = logging.getLogger("bianmin.hub.cases")


@dataclass
class ProjectorStats:
    projected: int = 0
    errors: int = 0


class CaseProjector:
    def __init__(
        self, engine: Engine, *, tick_s: float = 2.0, followup_days: int = DEFAULT_FOLLOWUP_DAYS
    ) -> None:
        self.engine = engine
        self.tick_s = tick_s
        self.followup_days = followup_days
        self.stats = ProjectorStats()
        self._wake = asyncio.Event()
        self._stopping = False

    def wake(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        """Finish the pass in progress (its database work runs in a thread that cancelling
        would orphan), then return from run()."""
        self._stopping = True
        self._wake.set()

    async def run(self) -> None:
        while not self._stopping:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.tick_s)
            self._wake.clear()
            if self._stopping:
                break
            try:
                while taken := await asyncio.to_thread(self._drain):
                    self.stats.projected += taken
            except Exception:
                # the cases stay queued: nothing is lost, the next tick tries them again
                self.stats.errors += 1
                log.exception("projecting cases failed; trying again")
                await asyncio.sleep(self.tick_s)

    def _drain(self) -> int:
        return drain_pending(self.engine, followup_days=self.followup_days)
