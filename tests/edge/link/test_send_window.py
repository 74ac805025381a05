"""The send window's rules, with a hand-moved clock and events held in a dict: what goes out
next, what is in flight, and when it goes again."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from edge.eventlog import StoredEvent
from edge.link import SendWindow


class Events:
    """Committed, unacknowledged events by seq: what an event log would answer."""

    def __init__(self, count: int = 0, size: int = 10) -> None:
        self.pending: dict[int, StoredEvent] = {}
        self.add(count, size)

    def add(self, count: int, size: int = 10) -> None:
        start = max(self.pending, default=0) + 1
        for seq in range(start, start + count):
            self.pending[seq] = StoredEvent(seq, f"id-{seq}", b"x" * size)

    def ack(self, *seqs: int) -> list[str]:
        return [self.pending.pop(s).id for s in seqs]

    def after(self, seq: int, limit: int) -> list[StoredEvent]:
        return [e for s, e in sorted(self.pending.items()) if s > seq][:limit]

    def by_seqs(self, seqs: Sequence[int]) -> list[StoredEvent]:
        return [self.pending[s] for s in sorted(seqs) if s in self.pending]


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _window(clock: Clock | None = None, **limits: Any) -> SendWindow:
    return SendWindow(ack_timeout_s=10, ack_timeout_max_s=40, clock=clock or Clock(), **limits)


def _seqs(batch: list[StoredEvent]) -> list[int]:
    return [e.seq for e in batch]


def test_batches_come_oldest_first_within_the_event_limit():
    events = Events(10)
    window = _window(batch_max_events=4)
    assert _seqs(window.next_batch(events)) == [1, 2, 3, 4]
    assert _seqs(window.next_batch(events)) == [5, 6, 7, 8]
    assert _seqs(window.next_batch(events)) == [9, 10]
    assert window.next_batch(events) == []
    assert window.in_flight == 10


def test_a_batch_stops_at_the_byte_limit_but_always_carries_one_event():
    events = Events(3, size=60)
    window = _window(batch_max_bytes=100)
    assert _seqs(window.next_batch(events)) == [1]  # 120 bytes would pass the limit
    events.add(1, size=500)
    assert _seqs(window.next_batch(events)) == [2]
    assert _seqs(window.next_batch(events)) == [3]
    assert _seqs(window.next_batch(events)) == [4]  # bigger than the limit: alone, not stuck


def test_the_window_holds_at_most_max_in_flight_until_acks_free_room():
    events = Events(12)
    window = _window(batch_max_events=4, max_in_flight=6)
    assert _seqs(window.next_batch(events)) == [1, 2, 3, 4]
    assert _seqs(window.next_batch(events)) == [5, 6]
    assert window.next_batch(events) == []
    window.acknowledged(events.ack(1, 2, 3))
    assert _seqs(window.next_batch(events)) == [7, 8, 9]


def test_events_committed_later_are_sent_after_the_earlier_ones():
    events = Events(2)
    window = _window()
    assert _seqs(window.next_batch(events)) == [1, 2]
    events.add(3)
    assert _seqs(window.next_batch(events)) == [3, 4, 5]


def test_unacknowledged_events_are_resent_oldest_first_after_the_timeout():
    clock = Clock()
    events = Events(5)
    window = _window(clock)
    window.next_batch(events)
    window.acknowledged(events.ack(2))
    clock.now += 9
    assert window.expire() == 0
    clock.now += 2
    assert window.expire() == 4
    events.add(1)
    assert _seqs(window.next_batch(events)) == [1, 3, 4, 5, 6]  # resends first, then new


def test_the_timeout_doubles_while_acks_stay_away_and_resets_on_an_ack():
    clock = Clock()
    events = Events(1)
    window = _window(clock)
    timeouts = []
    for _ in range(4):
        window.next_batch(events)
        clock.now += window.timeout + 1
        window.expire()
        timeouts.append(window.timeout)
    assert timeouts == [20, 40, 40, 40]  # doubled up to the maximum
    window.acknowledged([])
    assert window.timeout == 10


def test_a_reconnect_sends_everything_in_flight_again_before_anything_new():
    events = Events(3)
    window = _window()
    window.next_batch(events)
    events.add(1)
    assert window.requeue_all() == 3
    assert window.in_flight == 0
    assert _seqs(window.next_batch(events)) == [1, 2, 3, 4]


def test_a_reconnect_starts_the_timeout_short_again():
    clock = Clock()
    events = Events(1)
    window = _window(clock)
    window.next_batch(events)
    clock.now += 11
    window.expire()
    assert window.timeout == 20
    window.requeue_all()
    assert window.timeout == 10


def test_events_acknowledged_while_waiting_to_be_resent_are_not_sent_again():
    """GIVEN events put back in line after a timeout WHEN a late ack removes some of them from
    the log THEN the resend carries only those still unacknowledged."""
    clock = Clock()
    events = Events(4)
    window = _window(clock)
    window.next_batch(events)
    clock.now += 11
    window.expire()
    events.ack(1, 3)
    assert _seqs(window.next_batch(events)) == [2, 4]
    assert window.next_batch(events) == []


def test_resends_also_respect_the_byte_limit_and_keep_their_place_in_line():
    clock = Clock()
    events = Events(3, size=60)
    window = _window(clock, batch_max_bytes=130)
    assert _seqs(window.next_batch(events)) == [1, 2]
    assert _seqs(window.next_batch(events)) == [3]
    clock.now += 11
    assert window.expire() == 3
    assert _seqs(window.next_batch(events)) == [1, 2]
    assert _seqs(window.next_batch(events)) == [3]


def test_an_ack_takes_events_out_of_flight_so_they_never_expire():
    clock = Clock()
    events = Events(2)
    window = _window(clock)
    window.next_batch(events)
    window.acknowledged(events.ack(1, 2))
    clock.now += 1000
    assert window.expire() == 0
    assert window.in_flight == 0


def test_an_ack_frees_its_room_at_once_while_the_log_forgets_the_events():
    """GIVEN a full window WHEN the hub's ack arrives and the log's commit is still running
    THEN the next events go out already, and the acked ones are not resent after a timeout."""
    clock = Clock()
    events = Events(8)
    window = _window(clock, batch_max_events=4, max_in_flight=4)
    assert _seqs(window.next_batch(events)) == [1, 2, 3, 4]
    assert window.next_batch(events) == []
    window.acknowledging(["id-1", "id-2", "id-3", "id-4"])
    assert (window.in_flight, window.settling) == (0, 4)
    assert _seqs(window.next_batch(events)) == [5, 6, 7, 8]
    clock.now += 11
    assert window.expire() == 4  # 5..8 only: 1..4 are the log's to forget
    window.acknowledged(events.ack(1, 2, 3, 4))
    assert window.settling == 0
    assert _seqs(window.next_batch(events)) == [5, 6, 7, 8]


def test_events_whose_ack_the_log_could_not_commit_are_sent_again():
    events = Events(3)
    window = _window()
    assert _seqs(window.next_batch(events)) == [1, 2, 3]
    window.acknowledging(["id-1", "id-3"])
    assert window.ack_failed(["id-1", "id-3"]) == 2  # still in the log: unacknowledged there
    assert window.settling == 0
    assert _seqs(window.next_batch(events)) == [1, 3]


def test_a_reconnect_leaves_settling_events_to_their_commit():
    events = Events(3)
    window = _window()
    window.next_batch(events)
    window.acknowledging(["id-2"])
    assert window.requeue_all() == 2
    assert _seqs(window.next_batch(events)) == [1, 3]
