"""The link's send window: which committed events go out next, which are in flight since when,
and when they go again. Pure: it reads only the events it is handed and asks an injected clock
for the time, so every rule is tested without a broker or a disk.

Which events are in flight is kept in memory on purpose: after a restart every unacknowledged
event must be sent again anyway, so persisting "sent" marks would double the writes for nothing.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from uuid import UUID

from edge.eventlog import EventReader, StoredEvent


class SendWindow:
    def __init__(
        self,
        *,
        batch_max_events: int = 100,
        batch_max_bytes: int = 128 * 1024,
        max_in_flight: int = 1000,
        ack_timeout_s: float = 10.0,
        ack_timeout_max_s: float = 120.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.batch_max_events = batch_max_events
        self.batch_max_bytes = batch_max_bytes
        self.max_in_flight = max_in_flight
        self.ack_timeout_s = ack_timeout_s
        self.ack_timeout_max_s = ack_timeout_max_s
        self._clock = clock
        self._timeout = ack_timeout_s
        self._cursor = 0  # highest seq ever handed out; never moves back
        self._in_flight: dict[str, tuple[int, float]] = {}  # id -> (seq, sent at)
        # Acked by the hub, while the log commits forgetting them: they hold no room, so the
        # next batches go out during that fsync; if the commit fails they go back in line.
        self._settling: dict[str, int] = {}  # id -> seq
        self._resend: list[int] = []  # seqs to send again, oldest first

    @property
    def in_flight(self) -> int:
        return len(self._in_flight)

    @property
    def timeout(self) -> float:
        """Seconds an event may stay unacknowledged before it is sent again."""
        return self._timeout

    def next_batch(self, events: EventReader) -> list[StoredEvent]:
        """The next batch, oldest first (resends due, then events never sent), marked in flight
        at once; empty when the window is full or nothing waits."""
        # Marked before the publish: if it fails, the reconnect's requeue_all sends them again.
        room = min(self.batch_max_events, self.max_in_flight - len(self._in_flight))
        batch: list[StoredEvent] = []
        size = 0
        while self._resend and len(batch) < room:
            # one read per batch of resends, not one per event (a reconnect resends them all)
            wanted = self._resend[: room - len(batch)]
            found = {e.seq: e for e in events.by_seqs(wanted)}
            for seq in wanted:
                event = found.get(seq)
                if event is not None:  # else acknowledged meanwhile: just drop it from the line
                    if batch and size + len(event.payload) > self.batch_max_bytes:
                        return self._sent(batch)
                    batch.append(event)
                    size += len(event.payload)
                del self._resend[0]
        if len(batch) < room:
            for event in events.after(self._cursor, room - len(batch)):
                if batch and size + len(event.payload) > self.batch_max_bytes:
                    break
                batch.append(event)
                size += len(event.payload)
                self._cursor = event.seq
        return self._sent(batch)

    @property
    def settling(self) -> int:
        return len(self._settling)

    def acknowledging(self, ids: Iterable[UUID | str]) -> None:
        """The hub committed these and the log is about to forget them: out of flight (their
        room is free at once), and the hub is answering again, so the timeout is short again."""
        for key in map(str, ids):
            entry = self._in_flight.pop(key, None)
            if entry is not None:
                self._settling[key] = entry[0]
        self._timeout = self.ack_timeout_s

    def acknowledged(self, ids: Iterable[UUID | str]) -> None:
        """The log has forgotten these: nothing of them is left to track."""
        for key in map(str, ids):
            self._settling.pop(key, None)
            self._in_flight.pop(key, None)
        self._timeout = self.ack_timeout_s

    def ack_failed(self, ids: Iterable[UUID | str]) -> int:
        """The log could not forget these: they are still unacknowledged there, so send them
        again (the hub stores them once and acknowledges them again)."""
        keys = [k for k in map(str, ids) if k in self._settling]
        self._resend = sorted(set(self._resend) | {self._settling.pop(k) for k in keys})
        return len(keys)

    def expire(self) -> int:
        """Put events unacknowledged for longer than the timeout back in line; while acks stay
        away the timeout doubles (up to its maximum), so a struggling hub is not buried."""
        now = self._clock()
        limit = self._timeout
        late = [(seq, key) for key, (seq, at) in self._in_flight.items() if now - at > limit]
        self._requeue(late)
        if late:
            self._timeout = min(self._timeout * 2, self.ack_timeout_max_s)
        return len(late)

    def requeue_all(self) -> int:
        """After a reconnect nothing in flight can be trusted to arrive: all of it goes again,
        and the timeout starts short again."""
        everything = [(s, key) for key, (s, _) in self._in_flight.items()]
        self._requeue(everything)
        self._timeout = self.ack_timeout_s
        return len(everything)

    def _sent(self, batch: list[StoredEvent]) -> list[StoredEvent]:
        now = self._clock()
        for event in batch:
            self._in_flight[event.id] = (event.seq, now)
        return batch

    def _requeue(self, events: list[tuple[int, str]]) -> None:
        for _, key in events:
            del self._in_flight[key]
        if events:
            self._resend = sorted(set(self._resend) | {seq for seq, _ in events})
