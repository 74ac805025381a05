"""The case projector: a loop in every hub process that ingests, draining the pending queue
(hub.cases.project) after each ingest commit, and on a slow tick for whatever another
process queued. It holds no state: a restarted hub finds the queue where it was."""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass

from sqlalchemy import Engine

from hub.cases.project import drain_pending
from hub.followups.hook import DEFAULT_FOLLOWUP_DAYS
from hub.loops import TickLoop

log = logging.getLogger("bianmin.hub.cases")

# At most one projection pass per this many seconds: a case record is at most this much later
# than its events, and a pass takes the cases of many commits at once.
COALESCE_S = 0.25


@dataclass
class ProjectorStats:
    projected: int = 0
    errors: int = 0
    passes: int = 0  # drain transactions


class CaseProjector(TickLoop):
    def __init__(
        self,
        engine: Engine,
        *,
        tick_s: float = 2.0,
        coalesce_s: float = COALESCE_S,
        followup_days: int = DEFAULT_FOLLOWUP_DAYS,
    ) -> None:
        super().__init__(tick_s)
        self.engine = engine
        self.coalesce_s = coalesce_s
        self.followup_days = followup_days
        self.stats = ProjectorStats()

    async def run(self) -> None:
        while await self.next_pass():
            started = time.monotonic()
            try:
                while taken := await asyncio.to_thread(self._drain):
                    self.stats.projected += taken
                    self.stats.passes += 1
            except Exception:
                # the cases stay queued: nothing is lost, the next tick tries them again
                self.stats.errors += 1
                log.exception("projecting cases failed; trying again")
                await asyncio.sleep(self.tick_s)
            # Let the cases of the next commits gather before the next pass: a pass has a fixed
            # cost (its transaction, the queue's read and delete), which under a steady stream
            # of small ingest batches was most of the projector's CPU.
            rest = self.coalesce_s - (time.monotonic() - started)
            if rest > 0 and not self.stopping:
                await asyncio.sleep(rest)

    def _drain(self) -> int:
        return drain_pending(self.engine, followup_days=self.followup_days)
