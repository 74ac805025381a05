"""The event log's contract, run against every backend (SQLite and memory): the log keeps each
committed event until the hub acknowledges it, in order, within its byte limit."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from edge.errors import EventLogClosed, OutboxFull
from protocol.ids import uuid7
from protocol.messages import CaseEnvelope
from tests.support.builders import transition


def test_appended_events_get_consecutive_sequence_numbers(log, run):
    envs = [run(log.append(transition())) for _ in range(3)]
    envs += run(log.append_many([transition(), transition()]))
    assert [e.seq for e in envs] == [1, 2, 3, 4, 5]
    assert (log.depth, log.last_seq) == (5, 5)
    assert all(e.unit == "t001" for e in envs)


def test_what_is_read_for_sending_is_the_envelope_that_was_committed(log, run):
    at = datetime(2025, 3, 1, 9, 30, tzinfo=UTC)
    env = run(log.append(transition("identified"), at))
    (stored,) = log.after(0, 10)
    assert (stored.seq, stored.id) == (env.seq, str(env.id))
    assert CaseEnvelope.model_validate_json(stored.payload) == env
    assert env.ts == at
    assert log.size_bytes == len(stored.payload)


def test_state_rows_commit_with_the_event_and_none_deletes_a_key(log, run):
    run(log.append(transition(), state={"case": "snapshot-1", "progress": "[]"}))
    run(log.append(transition(), state={"case": "snapshot-2", "progress": None}))
    assert log.get_state("case") == "snapshot-2"
    assert log.get_state("progress") is None
    run(log.put_state({"progress": '["receipt"]'}))
    assert log.get_state("progress") == '["receipt"]'
    assert log.depth == 2  # put_state writes no event


def test_a_full_log_refuses_new_events_and_their_state_instead_of_dropping_old_ones(make_log, run):
    log = make_log(limit_bytes=2000)
    run(log.append(transition(), state={"case": "before"}))
    with pytest.raises(OutboxFull, match="limit"):
        run(log.append_many([transition() for _ in range(20)], state={"case": "after"}))
    assert (log.depth, log.last_seq) == (1, 1)
    assert log.get_state("case") == "before"
    assert len(log.after(0, 100)) == 1


def test_reads_for_sending_come_oldest_first_within_the_limit(log, run):
    run(log.append_many([transition() for _ in range(10)]))
    assert [e.seq for e in log.after(0, 4)] == [1, 2, 3, 4]
    assert [e.seq for e in log.after(8, 100)] == [9, 10]
    assert log.after(10, 100) == []
    assert [e.seq for e in log.by_seqs([7, 2, 5])] == [2, 5, 7]


def test_acknowledged_events_leave_the_log_but_stay_in_the_ledger(log, run):
    envs = run(log.append_many([transition() for _ in range(3)]))
    assert run(log.acknowledge([envs[0].id, str(envs[2].id)])) == 2
    assert log.depth == 1
    assert run(log.acknowledge([envs[0].id, uuid7()])) == 0  # duplicate and unknown: harmless
    assert [e.seq for e in log.after(0, 10)] == [2]
    assert [e.seq for e in log.by_seqs([1, 2, 3])] == [2]
    assert log.committed() == {str(e.id): e.seq for e in envs}
    run(log.acknowledge([envs[1].id]))
    assert (log.depth, log.size_bytes) == (0, 0)


def test_health_raises_the_alarm_near_the_limit(make_log, run):
    log = make_log(limit_bytes=3000)
    assert not log.health().alarm
    assert log.health().oldest_age_s is None
    while log.health().bytes < 0.8 * 3000:
        run(log.append(transition()))
    health = log.health()
    assert health.alarm
    assert (health.depth, health.bytes, health.limit_bytes) == (log.depth, log.size_bytes, 3000)
    assert health.oldest_age_s is not None


def test_pruning_forgets_old_ledger_entries_but_never_a_sequence_number(make_log, run):
    now = [1_000_000.0]
    log = make_log(ledger_days=1, clock=lambda: now[0])
    old = run(log.append_many([transition(), transition()]))
    run(log.acknowledge([old[0].id]))
    now[0] += 86400 / 2
    run(log.acknowledge([old[1].id]))
    now[0] += 86400 / 2 + 1  # the first ack is now older than a day, the second is not
    assert run(log.prune()) == 1
    assert log.committed() == {str(old[1].id): 2}
    assert run(log.prune(older_than_s=0)) == 1
    assert log.committed() == {}
    assert run(log.append(transition())).seq == 3


def test_subscribers_wake_after_the_commit_and_not_for_state_or_refusals(make_log, run):
    log = make_log(limit_bytes=2000)
    seen: list[tuple[int, int]] = []
    unsubscribe = log.subscribe(lambda: seen.append((log.depth, len(log.after(0, 100)))))
    run(log.append(transition()))
    assert seen == [(1, 1)]  # the event is committed and readable when the callback runs
    run(log.put_state({"k": "v"}))
    with pytest.raises(OutboxFull):
        run(log.append_many([transition() for _ in range(20)]))
    assert seen == [(1, 1)]
    unsubscribe()
    run(log.append(transition()))
    assert seen == [(1, 1)]


def test_a_failing_subscriber_neither_fails_the_append_nor_silences_the_others(log, run):
    def broken() -> None:
        raise RuntimeError("subscriber bug")

    calls: list[int] = []
    log.subscribe(broken)
    log.subscribe(lambda: calls.append(log.depth))
    assert run(log.append(transition())).seq == 1
    assert calls == [1]


def test_racing_appends_get_distinct_sequence_numbers_committed_in_order(log, run):
    """GIVEN twenty appends started at once WHEN they all finish THEN their sequence numbers
    are 1..20 and the log holds them in that order, so a send cursor can never skip one."""

    async def race() -> list[int]:
        results = await asyncio.gather(*(log.append(transition()) for _ in range(20)))
        return sorted(e.seq for e in results)

    assert run(race()) == list(range(1, 21))
    assert [e.seq for e in log.after(0, 100)] == list(range(1, 21))
    assert log.depth == 20


def test_an_ack_arriving_while_an_append_commits_leaves_both_applied(log, run):
    async def scenario() -> int:
        first = await log.append_many([transition(), transition()])
        appending = asyncio.ensure_future(log.append(transition()))
        await asyncio.sleep(0)  # the append is under way
        removed = await log.acknowledge(e.id for e in first)
        await appending
        return removed

    assert run(scenario()) == 2
    assert (log.depth, log.last_seq) == (1, 3)
    assert [e.seq for e in log.after(0, 10)] == [3]


def test_an_append_whose_caller_is_cancelled_still_commits_whole(log, run):
    """GIVEN an append under way WHEN its caller is cancelled (the clerk stopped the step)
    THEN the event and its state are committed all the same, and the counters agree."""

    async def scenario() -> None:
        task = asyncio.ensure_future(log.append(transition(), state={"case": "x"}))
        await asyncio.sleep(0)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await log.prune()  # queued behind the append: returns once it has finished

    run(scenario())
    assert (log.depth, log.last_seq) == (1, 1)
    assert len(log.committed()) == 1
    assert log.get_state("case") == "x"


def test_a_closed_log_refuses_writes(make_log, run):
    log = make_log()
    run(log.close())
    with pytest.raises(EventLogClosed):
        run(log.append(transition()))
    run(log.close())  # closing twice is harmless
