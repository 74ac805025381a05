"""Dead letters are kept for a retention period and within a total quota, enforced by a sweep
that every ingesting hub process runs beside its consumer, never on the ingest path itself.
The same sweep deletes operator commands answered or expired longer ago than
``command_retention_days`` (hub.commands.outbox.prune_closed).

The quota is in bytes but enforced in rows: every field of a row is bounded
(hub.ingest.deadletter), so a row's worst case is known and ``quota // ROW_BYTES`` rows can
never take more than the quota, whatever a hostile unit sends. Counting actual bytes would need
a scan per sweep and a different length function per database."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection, Engine, delete, select
from sqlalchemy.exc import SQLAlchemyError

from hub.commands.outbox import prune_closed
from hub.ingest.consumer import IngestConsumer
from hub.ingest.deadletter import PREFIX_BYTES, REASON_BYTES, REASON_CODE_BYTES, TOPIC_BYTES
from hub.models import DeadLetter
from hub.settings import HubSettings

log = logging.getLogger("bianmin.hub.retention")
DEAD = DeadLetter.__table__  # type: ignore[attr-defined]

UNIT_BYTES = 64
SHA256_HEX_BYTES = 64
# id, size and received_at, the row's header on disk and its entries in the two indexes
ROW_OVERHEAD_BYTES = 24 + 128
ROW_BYTES = (
    TOPIC_BYTES + UNIT_BYTES + REASON_CODE_BYTES + REASON_BYTES + SHA256_HEX_BYTES + PREFIX_BYTES
) + ROW_OVERHEAD_BYTES


@dataclass(frozen=True)
class DeadLetterPolicy:
    retention: timedelta
    quota_bytes: int

    @classmethod
    def from_settings(cls, settings: HubSettings) -> DeadLetterPolicy:
        retention = timedelta(days=settings.dead_letter_retention_days)
        return cls(retention, settings.dead_letter_quota_bytes)

    @property
    def max_rows(self) -> int:
        return max(1, self.quota_bytes // ROW_BYTES)

    @property
    def burst_rows(self) -> int:
        """New dead letters in one process that call for a sweep before the clock does."""
        return max(1, self.max_rows // 10)

    def cutoff(self, now: datetime) -> datetime:
        return now - self.retention


@dataclass(frozen=True)
class Pruned:
    expired: int
    over_quota: int
    commands: int = 0  # operator commands answered or expired past their retention


def prune_dead_letters(conn: Connection, policy: DeadLetterPolicy, now: datetime) -> Pruned:
    """Delete dead letters past the retention period, then all but the newest ``max_rows``.
    Two indexed statements; safe to run from several processes at once. The caller commits."""
    expired = conn.execute(delete(DEAD).where(DEAD.c.received_at < policy.cutoff(now))).rowcount
    newest_to_drop = conn.execute(
        select(DEAD.c.id).order_by(DEAD.c.id.desc()).offset(policy.max_rows).limit(1)
    ).scalar_one_or_none()
    over_quota = 0
    if newest_to_drop is not None:
        over_quota = conn.execute(delete(DEAD).where(DEAD.c.id <= newest_to_drop)).rowcount
    return Pruned(expired, over_quota)


class DeadLetterSweeper:
    """Prunes every ``every_s`` seconds, and sooner when this process has dead-lettered
    ``burst_rows`` since the last sweep: a flood must not wait for the clock."""

    def __init__(
        self,
        engine: Engine,
        policy: DeadLetterPolicy,
        *,
        every_s: float,
        dead_letters: Callable[[], int],
        tick_s: float = 1.0,
        command_retention: timedelta | None = None,
    ) -> None:
        self.engine = engine
        self.policy = policy
        # also kept no longer than this: closed operator commands (hub.commands); None: kept
        self.command_retention = command_retention
        self.every_s = every_s
        self.dead_letters = dead_letters  # this process's running count of dead letters
        self.tick_s = tick_s
        self.pruned = 0

    def due(self, since_s: float, new_dead_letters: int) -> bool:
        return since_s >= self.every_s or new_dead_letters >= self.policy.burst_rows

    def sweep(self) -> Pruned:
        now = datetime.now(UTC)
        with self.engine.begin() as conn:
            pruned = prune_dead_letters(conn, self.policy, now)
            if self.command_retention is not None:
                closed = prune_closed(conn, now - self.command_retention)
                pruned = dataclasses.replace(pruned, commands=closed)
            return pruned

    async def run(self) -> None:
        last_at, last_count = float("-inf"), self.dead_letters()  # sweep once at start
        while True:
            count, now = self.dead_letters(), time.monotonic()
            if self.due(now - last_at, count - last_count):
                last_at, last_count = now, count
                await self._sweep_in_thread()
            await asyncio.sleep(self.tick_s)

    async def _sweep_in_thread(self) -> None:
        job = asyncio.ensure_future(asyncio.to_thread(self.sweep))
        try:
            pruned = await asyncio.shield(job)
        except asyncio.CancelledError:
            # one short transaction: let it end before the caller disposes of the engine
            with contextlib.suppress(Exception):
                await job
            raise
        except SQLAlchemyError:
            log.exception("pruning dead letters failed; the next sweep tries again")
            return
        if pruned.expired or pruned.over_quota:
            self.pruned += pruned.expired + pruned.over_quota
            log.info(
                "dead letters pruned: %d expired, %d over the quota",
                pruned.expired,
                pruned.over_quota,
            )
        if pruned.commands:
            log.info("operator commands past their retention deleted: %d", pruned.commands)


def dead_letter_sweeper(
    settings: HubSettings, engine: Engine, consumer: IngestConsumer
) -> DeadLetterSweeper:
    """The sweeper that runs beside ``consumer``, woken early by its dead-letter count."""
    return DeadLetterSweeper(
        engine,
        DeadLetterPolicy.from_settings(settings),
        every_s=settings.dead_letter_sweep_s,
        dead_letters=lambda: consumer.stats.dead_letters,
        command_retention=timedelta(days=settings.command_retention_days),
    )
