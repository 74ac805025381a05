"""The event log in memory: the same contract as the SQLite log, nothing survives the process.

For tests and for simulated units that need no files; a real unit always keeps its log on disk.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from edge.eventlog.core import EventLogCore
from edge.eventlog.interface import StoredEvent
from edge.eventlog.storage import Row, Totals


class MemoryEventLog(EventLogCore):
    def __init__(
        self,
        unit: str,
        *,
        limit_bytes: int = 256 * 1024 * 1024,
        alarm_ratio: float = 0.8,
        ledger_days: float = 90.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(
            MemoryStorage(),
            unit,
            limit_bytes=limit_bytes,
            alarm_ratio=alarm_ratio,
            ledger_days=ledger_days,
            clock=clock,
        )


class MemoryStorage:
    """edge.eventlog.storage.Storage in dicts; writes never block, so they run on the loop."""

    blocking = False

    def __init__(self) -> None:
        self._events: dict[int, Row] = {}  # by seq; insertion order is seq order
        self._seq_of: dict[str, int] = {}
        self._delivered: dict[str, tuple[int, float]] = {}  # id -> (seq, acked_at)
        self._state: dict[str, str] = {}
        self._last_seq = 0

    def totals(self) -> Totals:
        return Totals(last_seq=0, depth=0, size_bytes=0)

    def insert(self, rows: Sequence[Row], state: dict[str, str | None]) -> None:
        for row in rows:
            if row.seq <= self._last_seq or row.id in self._seq_of:
                raise ValueError(f"event {row.id} (seq {row.seq}) is already in the log")
        for row in rows:
            self._events[row.seq] = row
            self._seq_of[row.id] = row.seq
            self._last_seq = row.seq
        self.write_state(state)

    def delete(self, keys: Sequence[str], acked_at: float) -> tuple[int, int]:
        removed = freed = 0
        for key in keys:
            seq = self._seq_of.pop(key, None)
            if seq is None:
                continue
            row = self._events.pop(seq)
            self._delivered.setdefault(key, (seq, acked_at))
            removed += 1
            freed += len(row.payload)
        return removed, freed

    def write_state(self, state: dict[str, str | None]) -> None:
        for key, value in state.items():
            if value is None:
                self._state.pop(key, None)
            else:
                self._state[key] = value

    def prune(self, cutoff: float) -> int:
        old = [key for key, (_, acked_at) in self._delivered.items() if acked_at < cutoff]
        for key in old:
            del self._delivered[key]
        return len(old)

    def close(self) -> None:
        return None

    def after(self, seq: int, limit: int) -> list[StoredEvent]:
        # walk seq numbers from the first one wanted: the send cursor is near the tail, so this
        # stays short where a scan of every pending event would not
        first = next(iter(self._events), None)
        found: list[StoredEvent] = []
        if first is None or limit <= 0:
            return found
        for s in range(max(seq + 1, first), self._last_seq + 1):
            row = self._events.get(s)
            if row is not None:
                found.append(StoredEvent(row.seq, row.id, row.payload))
                if len(found) >= limit:
                    break
        return found

    def by_seqs(self, seqs: Sequence[int]) -> list[StoredEvent]:
        rows = (self._events.get(seq) for seq in sorted(set(seqs)))
        return [StoredEvent(r.seq, r.id, r.payload) for r in rows if r is not None]

    def get_state(self, key: str) -> str | None:
        return self._state.get(key)

    def committed(self) -> dict[str, int]:
        return {**self._seq_of, **{key: seq for key, (seq, _) in self._delivered.items()}}

    def oldest_ts(self) -> str | None:
        return next((row.ts for row in self._events.values()), None)
