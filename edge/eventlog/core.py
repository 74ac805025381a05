"""The event log over any storage: sequence numbers and envelopes, the byte limit, the
counters, one write at a time, and waking the subscribers after each append.

Writes run one at a time, in the order they were asked for, and a write once asked for always
finishes: if its caller is cancelled meanwhile (a window step stopped by the clerk), the commit
and the counters still complete, so what is stored and what the log believes never drift.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Coroutine, Iterable, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar, cast, overload
from uuid import UUID

from edge.errors import EventLogClosed, OutboxFull
from edge.eventlog.interface import StateRows, StoredEvent, Unsubscribe
from edge.eventlog.storage import Row, Storage
from edge.eventlog.worker import in_worker
from protocol.ids import uuid7
from protocol.messages import (
    CaseEnvelope,
    CaseTransition,
    EventBody,
    EventEnvelope,
    FeedbackEnvelope,
    FeedbackNote,
    OutboxHealth,
    envelope_for,
)

log = logging.getLogger("bianmin.edge.eventlog")
T = TypeVar("T")


class EventLogCore:
    """Implements edge.eventlog.EventLog; the backends only choose the storage."""

    def __init__(
        self,
        storage: Storage,
        unit: str,
        *,
        limit_bytes: int = 256 * 1024 * 1024,
        alarm_ratio: float = 0.8,
        ledger_days: float = 90.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._storage = storage
        self._unit = unit
        self.limit_bytes = limit_bytes
        self.alarm_ratio = alarm_ratio
        self.ledger_days = ledger_days
        self._clock = clock  # wall time of acks, for the ledger's age
        totals = storage.totals()
        self._last_seq = totals.last_seq
        self._depth = totals.depth
        self._bytes = totals.size_bytes
        self._writes = asyncio.Lock()
        self._subscribers: list[Callable[[], None]] = []
        self._closed = False

    @property
    def unit(self) -> str:
        return self._unit

    @property
    def depth(self) -> int:
        return self._depth

    @property
    def size_bytes(self) -> int:
        return self._bytes

    @property
    def last_seq(self) -> int:
        return self._last_seq

    # -- writes -------------------------------------------------------------------------------

    @overload
    async def append(
        self, body: CaseTransition, ts: datetime | None = None, *, state: StateRows | None = None
    ) -> CaseEnvelope: ...

    @overload
    async def append(
        self, body: FeedbackNote, ts: datetime | None = None, *, state: StateRows | None = None
    ) -> FeedbackEnvelope: ...

    async def append(
        self, body: EventBody, ts: datetime | None = None, *, state: StateRows | None = None
    ) -> EventEnvelope:
        return (await self._serial(self._append([body], ts, dict(state or {}))))[0]

    async def append_many(
        self,
        bodies: Iterable[CaseTransition],
        ts: datetime | None = None,
        *,
        state: StateRows | None = None,
    ) -> list[CaseEnvelope]:
        envelopes = await self._serial(self._append(list(bodies), ts, dict(state or {})))
        return cast(list[CaseEnvelope], envelopes)

    async def acknowledge(self, ids: Iterable[UUID | str]) -> int:
        keys = list(dict.fromkeys(str(i) for i in ids))
        if not keys:
            return 0
        return await self._serial(self._acknowledge(keys))

    async def put_state(self, state: StateRows) -> None:
        if state:
            await self._serial(self._write(self._storage.write_state, dict(state)))

    async def prune(self, older_than_s: float | None = None) -> int:
        age = self.ledger_days * 86400 if older_than_s is None else older_than_s
        return await self._serial(self._write(self._storage.prune, self._clock() - age))

    async def close(self) -> None:
        if not self._closed:
            self._closed = True  # refuse new writes; those already asked for finish first
            await self._serial(self._write(self._storage.close), closing=True)

    async def _append(
        self, bodies: list[EventBody], ts: datetime | None, state: dict[str, str | None]
    ) -> list[EventEnvelope]:
        # Sequence numbers are taken here, under the write lock, so commits land in seq order
        # and the link's send cursor can never pass an event that commits later.
        stamp = ts or datetime.now(UTC)
        envelopes: list[EventEnvelope] = []
        rows: list[Row] = []
        size = 0
        for seq, body in enumerate(bodies, start=self._last_seq + 1):
            env = envelope_for(body, id=uuid7(), unit=self._unit, seq=seq, ts=stamp)
            payload = env.model_dump_json().encode("utf-8")
            size += len(payload)
            envelopes.append(env)
            rows.append(Row(seq, str(env.id), env.ts.isoformat(), payload))
        if self._bytes + size > self.limit_bytes:
            raise OutboxFull(
                f"outbox holds {self._bytes} bytes; {size} more would pass the limit of "
                f"{self.limit_bytes}: the hub has not acknowledged events for a long time"
            )
        await self._write(self._storage.insert, rows, state)
        if rows:
            self._last_seq = rows[-1].seq
            self._depth += len(rows)
            self._bytes += size
            self._notify()
        return envelopes

    async def _acknowledge(self, keys: list[str]) -> int:
        removed, freed = await self._write(self._storage.delete, keys, self._clock())
        self._depth -= removed
        self._bytes -= freed
        return removed

    async def _write(self, fn: Callable[..., T], *args: Any) -> T:
        if self._storage.blocking:
            return await in_worker(fn, *args)  # the loop keeps running during the fsync
        return fn(*args)

    async def _serial(self, work: Coroutine[Any, Any, T], *, closing: bool = False) -> T:
        if self._closed and not closing:
            work.close()
            raise EventLogClosed(f"the event log of {self._unit} is closed")
        return await asyncio.shield(self._locked(work))

    async def _locked(self, work: Coroutine[Any, Any, T]) -> T:
        async with self._writes:
            return await work

    # -- subscribers --------------------------------------------------------------------------

    def subscribe(self, callback: Callable[[], None]) -> Unsubscribe:
        self._subscribers.append(callback)

        def unsubscribe() -> None:
            if callback in self._subscribers:
                self._subscribers.remove(callback)

        return unsubscribe

    def _notify(self) -> None:
        for callback in list(self._subscribers):
            try:
                callback()
            except Exception:  # one failing subscriber must not fail the commit or the others
                log.exception("%s: an event-log subscriber failed", self._unit)

    # -- reads: on the loop, never behind a commit --------------------------------------------

    def after(self, seq: int, limit: int) -> list[StoredEvent]:
        return self._storage.after(seq, limit)

    def by_seqs(self, seqs: Sequence[int]) -> list[StoredEvent]:
        return self._storage.by_seqs(seqs) if seqs else []

    def get_state(self, key: str) -> str | None:
        return self._storage.get_state(key)

    def committed(self) -> dict[str, int]:
        return self._storage.committed()

    def health(self) -> OutboxHealth:
        oldest = self._storage.oldest_ts() if self._depth else None
        age = None
        if oldest is not None:
            age = max(0.0, (datetime.now(UTC) - datetime.fromisoformat(oldest)).total_seconds())
        return OutboxHealth(
            depth=self._depth,
            bytes=self._bytes,
            limit_bytes=self.limit_bytes,
            oldest_age_s=age,
            alarm=self._bytes >= self.alarm_ratio * self.limit_bytes,
        )
