"""What the unit's event log promises, whichever backend holds it.

Writes are coroutines because a durable backend commits in a worker thread; reads are plain
calls because they never wait for a commit (a SQLite log reads through its own connection).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, overload
from uuid import UUID

from protocol.messages import (
    CaseEnvelope,
    CaseTransition,
    FeedbackEnvelope,
    FeedbackNote,
    OutboxHealth,
)

# Unit state rows written with an event or alone: key -> value, None deletes the key.
StateRows = Mapping[str, str | None]
Unsubscribe = Callable[[], None]


@dataclass(frozen=True, slots=True)
class StoredEvent:
    """One committed, unacknowledged event as the link sends it: its envelope's JSON bytes."""

    seq: int
    id: str
    payload: bytes


class EventReader(Protocol):
    """The reads the link's send window needs: committed events still unacknowledged."""

    def after(self, seq: int, limit: int) -> list[StoredEvent]:
        """Up to ``limit`` events with a sequence number above ``seq``, oldest first."""
        ...

    def by_seqs(self, seqs: Sequence[int]) -> list[StoredEvent]:
        """Those of ``seqs`` still unacknowledged, oldest first."""
        ...


class EventLog(EventReader, Protocol):
    """Every event is committed here before the clerk is told a step is done, and stays until
    the hub's ack names it; sequence numbers are never reused."""

    @property
    def unit(self) -> str: ...

    @property
    def depth(self) -> int:
        """Events committed and not yet acknowledged."""
        ...

    @property
    def size_bytes(self) -> int: ...

    @property
    def last_seq(self) -> int: ...

    @overload
    async def append(
        self, body: CaseTransition, ts: datetime | None = None, *, state: StateRows | None = None
    ) -> CaseEnvelope:
        """Commit one event and ``state`` in one transaction; raise OutboxFull at the limit."""
        ...

    @overload
    async def append(
        self, body: FeedbackNote, ts: datetime | None = None, *, state: StateRows | None = None
    ) -> FeedbackEnvelope:
        """A feedback note (意见反馈簿) travels in the same log, in the same order."""
        ...

    async def append_many(
        self,
        bodies: Iterable[CaseTransition],
        ts: datetime | None = None,
        *,
        state: StateRows | None = None,
    ) -> list[CaseEnvelope]: ...

    async def acknowledge(self, ids: Iterable[UUID | str]) -> int:
        """Forget events the hub committed (their ids stay in the delivered ledger); return how
        many were still pending, so a duplicate ack counts nothing."""
        ...

    def get_state(self, key: str) -> str | None: ...

    async def put_state(self, state: StateRows) -> None:
        """Write unit state without an event (progress that is not a case transition)."""
        ...

    async def prune(self, older_than_s: float | None = None) -> int:
        """Drop delivered-ledger entries older than the ledger's age; return how many."""
        ...

    def health(self) -> OutboxHealth: ...

    def committed(self) -> dict[str, int]:
        """Every event ever committed and still remembered (pending or in the ledger), id ->
        seq."""
        ...

    def subscribe(self, callback: Callable[[], None]) -> Unsubscribe:
        """Call ``callback`` on the event loop after each append commits."""
        ...

    async def close(self) -> None:
        """Finish the writes already asked for, then release the storage."""
        ...
