"""The case projector: a loop in every hub process that ingests, draining the pending queue
(hub.cases.project) after each ingest commit, and on a slow tick for whatever another
process queued. It holds no state: a restarted hub finds the queue where it was."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from sqlalchemy import Engine

from hub.cases.project import drain_pending
from hub.followups.hook import DEFAULT_FOLLOWUP_DAYS
from hub.loops import TickLoop

log = logging.getLogger("bianmin.hub.cases")


@dataclass
class ProjectorStats:
    projected: int = 0
    errors: int = 0


class CaseProjector(TickLoop):
    def __init__(
        self, engine: Engine, *, tick_s: float = 2.0, followup_days: int = DEFAULT_FOLLOWUP_DAYS
    ) -> None:
        super().__init__(tick_s)
        self.engine = engine
        self.followup_days = followup_days
        self.stats = ProjectorStats()

    async def run(self) -> None:
        while await self.next_pass():
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
