"""Ingest writes on SQLite and PostgreSQL: insert-or-ignore by id, counters, dead letters."""

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlmodel import Session

from hub.cases.project import PENDING, mark_pending
from hub.fleet import events, units
from hub.ingest import batch as ingest_batch
from hub.ingest.batch import commit_ingest_batch
from hub.ingest.intake import take
from hub.ingest.sql import mark_cases_pending
from mqttio import Received
from tests.support.builders import NOW, POISON_MESSAGES, report, tx


def test_the_same_events_twice_are_stored_once(engine):
    msg = tx(n=5)
    first = commit_ingest_batch(engine, take([msg], NOW).batch)
    again = commit_ingest_batch(engine, take([msg], NOW + timedelta(seconds=1)).batch)
    assert len(first) == 5
    assert again == set()
    with engine.connect() as conn:
        assert len(events.all_event_ids(conn)) == 5
    with Session(engine) as s:
        (unit,) = units.list_units(s, stale_after_s=60)
        assert (unit.events, unit.cases, unit.last_seq) == (5, 5, 5)


def test_unit_counters_only_count_new_events(engine):
    a = tx(n=3)
    b = tx(n=2, seq0=4)
    commit_ingest_batch(engine, take([a], NOW).batch)
    commit_ingest_batch(engine, take([a, b], NOW).batch)
    with Session(engine) as s:
        unit = units.get_unit(s, unit_id="t001", stale_after_s=60)
    assert unit is not None
    assert (unit.events, unit.last_seq) == (5, 5)


def test_last_seen_never_moves_backwards(engine):
    commit_ingest_batch(engine, take([tx()], NOW).batch)
    commit_ingest_batch(engine, take([tx(seq0=9)], NOW - timedelta(hours=1)).batch)
    with Session(engine) as s:
        unit = units.get_unit(s, unit_id="t001", stale_after_s=60)
    assert unit is not None
    assert unit.last_seen == NOW


def test_dead_letters_keep_topic_reason_size_and_a_readable_prefix(engine):
    bad = Received("bianmin/v1/u/t001/tx", b"\xff\xfe not json", 1, False)
    commit_ingest_batch(engine, take([bad], NOW).batch)
    with Session(engine) as s:
        (dead,) = events.recent_dead_letters(s)
        totals = events.totals(s)
    assert dead.reason_code == "malformed_json"
    assert dead.size == len(bad.payload)
    assert dead.topic == bad.topic
    assert dead.payload_preview == "\\xff\\xfe not json"  # bytes that are not UTF-8, escaped
    assert totals["dead_letters"] == 1


def test_config_reports_are_recorded_in_the_same_commit_as_the_events(engine):
    from hub.rollouts.store import UC, unit_configs

    with engine.begin() as conn:  # the hub issued t001 version 3 (only issued versions count)
        conn.execute(UC.insert().values(unit="t001", desired_version=3))
    batch = take([tx(n=2), report("t001", 3), report("t002", 0, "rejected", "x: y")], NOW)
    commit_ingest_batch(engine, batch.batch)
    with Session(engine) as s:
        configs = {c.unit: c for c in unit_configs(s)}
    assert configs["t001"].applied_version == 3
    assert (configs["t002"].report_status, configs["t002"].report_reason) == ("rejected", "x: y")


def test_a_failure_while_recording_reports_never_costs_the_batch_its_events(engine, monkeypatch):
    from sqlalchemy import update
    from sqlalchemy.exc import OperationalError

    from hub.rollouts.reports import UC

    def broken(conn, reports, now):
        conn.execute(UC.insert().values(unit="t009", applied_version=7))
        conn.execute(update(UC).values(applied_version=8))
        raise OperationalError("UPDATE", {}, Exception("simulated"))

    monkeypatch.setattr(ingest_batch, "record_reports", broken)
    inserted = commit_ingest_batch(engine, take([tx(n=3), report("t001", 1)], NOW).batch)
    assert len(inserted) == 3
    with engine.connect() as conn:
        assert len(events.all_event_ids(conn)) == 3
        assert conn.execute(UC.select()).all() == []  # the half-done report work rolled back


@pytest.mark.parametrize("kind", sorted(POISON_MESSAGES))
def test_a_poisoned_message_never_fails_the_commit_of_the_batch_it_came_in(engine, kind):
    """GIVEN a batch holding one message with a value that used to pass validation but fail
    at commit (issue 10) and a good unit's events THEN the commit succeeds: the good events
    are stored and the poisoned message is a dead letter whose reason the database holds."""
    intake = take([POISON_MESSAGES[kind]("t001", 9), tx("t002", n=3), report("t002", 1)], NOW)
    inserted = commit_ingest_batch(engine, intake.batch)
    assert len(inserted) == 3
    with Session(engine) as s:
        (dead,) = events.recent_dead_letters(s)
        assert units.get_unit(s, unit_id="t002", stale_after_s=60).events == 3
    assert (dead.unit, dead.reason_code) == ("t001", "invalid_message")


def test_the_hot_path_marks_cases_pending_exactly_as_the_projection_module_does(engine):
    """mark_cases_pending (plain SQL, one statement) against mark_pending (the ORM's): new
    cases at generation 0, a case marked again bumped by one, on both databases."""
    cases = [uuid.UUID(int=n * 7919 + 1) for n in range(40)]
    results = []
    for mark in (mark_pending, mark_cases_pending):
        with engine.begin() as conn:
            conn.execute(PENDING.delete())
            mark(conn, cases[:30])
            mark(conn, cases[20:] + cases[20:25])  # repeats within one call count once
        with engine.connect() as conn:
            rows = conn.execute(select(PENDING.c.case_id, PENDING.c.gen)).all()
        results.append(sorted(rows))
    assert results[0] == results[1]
    assert [gen for _, gen in results[1]].count(1) == 10
