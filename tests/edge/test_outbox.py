"""The outbox keeps every committed event until the hub acknowledges it."""

import pytest

from edge.errors import OutboxFull
from edge.outbox import Outbox
from protocol.ids import uuid7
from protocol.messages import CaseTransition


def _t(state="opened"):
    return CaseTransition(case_id=uuid7(), state=state)


@pytest.fixture
def outbox(tmp_path):
    box = Outbox(tmp_path / "o.sqlite3", "t001", durable=False)
    yield box
    box.close()


def test_appended_events_get_consecutive_sequence_numbers(outbox):
    envs = [outbox.append(_t()) for _ in range(3)]
    assert [e.seq for e in envs] == [1, 2, 3]
    assert outbox.depth == 3


def test_committed_events_survive_reopening_and_sequence_continues(tmp_path):
    box = Outbox(tmp_path / "o.sqlite3", "t001")
    first = box.append(_t())
    box.close()
    again = Outbox(tmp_path / "o.sqlite3", "t001")
    assert again.depth == 1
    assert again.append(_t()).seq == first.seq + 1
    again.close()


def test_sequence_numbers_are_never_reused_after_everything_was_acknowledged(tmp_path):
    box = Outbox(tmp_path / "o.sqlite3", "t001")
    envs = box.append_many([_t(), _t()])
    box.acknowledge(e.id for e in envs)
    box.close()
    again = Outbox(tmp_path / "o.sqlite3", "t001")
    assert again.append(_t()).seq == 3
    again.close()


def test_batches_come_oldest_first_and_respect_the_size_limits(outbox):
    outbox.append_many([_t() for _ in range(10)])
    batch = outbox.next_batch(max_events=4, max_bytes=10**6)
    assert [e.seq for e in batch] == [1, 2, 3, 4]
    one = outbox.next_batch(max_events=10, max_bytes=1)  # always at least one event
    assert [e.seq for e in one] == [5]


def test_acknowledged_events_leave_the_outbox_but_stay_in_the_ledger(outbox):
    envs = outbox.append_many([_t() for _ in range(3)])
    assert outbox.acknowledge([envs[0].id, envs[2].id]) == 2
    assert outbox.depth == 1
    assert outbox.acknowledge([envs[0].id]) == 0  # a duplicate ack is harmless
    assert set(outbox.committed()) == {str(e.id) for e in envs}


def test_unacknowledged_events_are_resent_oldest_first_after_the_timeout(outbox):
    outbox.append_many([_t() for _ in range(5)])
    sent = outbox.next_batch(5, 10**6)
    outbox.mark_sent(sent, now=100.0)
    outbox.acknowledge([sent[1].id])
    assert outbox.requeue_expired(older_than_s=10, now=105.0) == 0
    assert outbox.requeue_expired(older_than_s=10, now=111.0) == 4
    assert [e.seq for e in outbox.next_batch(10, 10**6)] == [1, 3, 4, 5]


def test_a_reconnect_puts_everything_in_flight_back_in_line(outbox):
    outbox.append_many([_t() for _ in range(3)])
    outbox.mark_sent(outbox.next_batch(3, 10**6))
    outbox.append(_t())
    assert outbox.requeue_all() == 3
    assert [e.seq for e in outbox.next_batch(10, 10**6)] == [1, 2, 3, 4]


def test_a_full_outbox_refuses_new_events_instead_of_dropping_old_ones(tmp_path):
    box = Outbox(tmp_path / "o.sqlite3", "t001", limit_bytes=2000, durable=False)
    box.append(_t())
    with pytest.raises(OutboxFull, match="limit"):
        box.append_many([_t() for _ in range(20)])
    assert box.depth == 1
    box.close()


def test_health_raises_the_alarm_near_the_limit(tmp_path):
    box = Outbox(tmp_path / "o.sqlite3", "t001", limit_bytes=3000, durable=False)
    assert not box.health().alarm
    while box.health().bytes < 0.8 * 3000:
        box.append(_t())
    health = box.health()
    assert health.alarm
    assert health.depth == box.depth
    assert health.oldest_age_s is not None
    box.close()
