"""What a backend stores for the event log: rows, the delivered ledger and the unit's state.

A storage only keeps bytes; sequence numbers, the byte limit, ordering and waking the link are
the log's (edge.eventlog.core), the same for every backend. Writes are plain calls that the log
runs one at a time (in a worker thread when the storage says ``blocking``); reads run on the
event loop and must never wait for a write.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from edge.eventlog.interface import StoredEvent


@dataclass(frozen=True, slots=True)
class Row:
    """An event as it is committed: its envelope's JSON and the envelope's timestamp."""

    seq: int
    id: str
    ts: str
    payload: bytes


@dataclass(frozen=True, slots=True)
class Totals:
    """What a storage holds when it is opened, so a unit resumes where it stopped."""

    last_seq: int
    depth: int
    size_bytes: int


class Storage(Protocol):
    # True when writes wait for the disk (fsync): the log then runs them in a worker thread.
    blocking: bool

    def totals(self) -> Totals: ...

    def insert(self, rows: Sequence[Row], state: dict[str, str | None]) -> None:
        """Events and state rows in one transaction; remember the highest seq for good."""
        ...

    def delete(self, keys: Sequence[str], acked_at: float) -> tuple[int, int]:
        """Move the pending events among ``keys`` to the ledger; return (events, bytes)."""
        ...

    def write_state(self, state: dict[str, str | None]) -> None: ...

    def prune(self, cutoff: float) -> int:
        """Forget ledger entries acknowledged before ``cutoff`` (wall time); return how many."""
        ...

    def close(self) -> None: ...

    def after(self, seq: int, limit: int) -> list[StoredEvent]: ...

    def by_seqs(self, seqs: Sequence[int]) -> list[StoredEvent]: ...

    def get_state(self, key: str) -> str | None: ...

    def committed(self) -> dict[str, int]: ...

    def oldest_ts(self) -> str | None:
        """The ISO timestamp of the oldest pending event, if any."""
        ...
