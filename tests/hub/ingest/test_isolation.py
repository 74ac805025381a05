"""A failed commit never takes its neighbours down (hub/ingest/isolation.py), on SQLite and
PostgreSQL: the batch is bisected, what goes in is committed and acknowledged, and a message
the database refuses is dead-lettered with the database's own reason. A database that is
unavailable blames no message: nothing is dead-lettered and the error reaches the caller.

The protocol's bounds keep every known poison out before a commit (test_intake.py), so these
tests put a refused value past them on purpose (``take_with_poison``)."""

import sqlite3

import pytest
from sqlalchemy import event
from sqlmodel import Session

from hub.db import create_tables, make_engine
from hub.fleet import events
from hub.ingest.intake import take
from hub.ingest.isolation import commit_messages
from tests.support.builders import NOW, tx
from tests.support.ingest import BAD, take_with_poison


def stored_units(engine):
    with engine.connect() as conn:
        return sorted({unit for unit, _, _ in events.all_event_ids(conn)})


def dead_letters(engine):
    with Session(engine) as s:
        return events.recent_dead_letters(s, limit=1000)


def test_one_refused_message_is_dead_lettered_with_the_database_reason_and_the_rest_commit(
    engine,
):
    good = [tx(f"t0{n:02d}", n=2) for n in range(10, 41)]
    messages = [*good[:20], tx(BAD, n=2), *good[20:]]
    outcome = commit_messages(engine, messages, take_with_poison, NOW)
    assert outcome.inserted == 2 * len(good)
    assert BAD not in outcome.acks
    assert sum(len(ids) for ids in outcome.acks.values()) == 2 * len(good)
    assert (outcome.refused, outcome.lost) == (1, 0)
    assert stored_units(engine) == sorted(m.topic.split("/")[3] for m in good)
    (dead,) = dead_letters(engine)
    assert (dead.unit, dead.reason_code) == (BAD, "database_refused")
    assert dead.reason.startswith(("OverflowError: ", "NumericValueOutOfRange: "))
    assert dead.size == len(messages[20].payload)


def test_bisecting_costs_a_few_commits_per_refused_message_not_one_per_message(engine):
    messages = [tx(f"t1{n:02d}") for n in range(63)]
    messages.insert(41, tx(BAD))
    outcome = commit_messages(engine, messages, take_with_poison, NOW)
    assert outcome.refused == 1
    assert outcome.commits <= 2 + 2 * 6  # the batch, about two per level of 64 = 2^6, the letter


def test_several_refused_messages_anywhere_in_the_batch_are_each_dead_lettered(engine):
    messages = [tx(BAD, seq0=1), tx("t101"), tx(BAD, seq0=3), tx("t102"), tx(BAD, seq0=5)]
    outcome = commit_messages(engine, messages, take_with_poison, NOW)
    assert outcome.refused == 3
    assert sorted(outcome.acks) == ["t101", "t102"]
    assert stored_units(engine) == ["t101", "t102"]
    assert len(dead_letters(engine)) == 3


def test_the_happy_path_is_a_single_commit(engine):
    outcome = commit_messages(engine, [tx("t101"), tx("t102")], lambda m: take(m, NOW), NOW)
    assert (outcome.commits, outcome.inserted, outcome.refused) == (1, 4, 0)


@pytest.fixture
def unavailable_engine(database_url, tmp_path):
    """An engine on a database that cannot be written: a SQLite file another process holds
    locked, or a PostgreSQL server that refuses connections."""
    if database_url.startswith("sqlite"):
        engine = make_engine(database_url)
        create_tables(engine)

        @event.listens_for(engine, "connect")
        def _short_wait(dbapi_conn, _record):
            dbapi_conn.execute("PRAGMA busy_timeout = 100")

        engine.dispose()
        holder = sqlite3.connect(database_url.removeprefix("sqlite:///"))
        holder.execute("BEGIN EXCLUSIVE")
        yield engine
        holder.rollback()
        holder.close()
    else:
        from provisioning.mosquitto import free_port

        engine = make_engine(database_url.replace(":5432/", f":{free_port()}/"))
        yield engine
    engine.dispose()


def test_an_unavailable_database_blames_no_message_and_the_error_reaches_the_caller(
    unavailable_engine,
):
    from sqlalchemy.exc import OperationalError

    with pytest.raises(OperationalError):
        commit_messages(
            unavailable_engine, [tx("t101"), tx(BAD)], take_with_poison, NOW
        )  # the bad message would be refused, but the database is not even reached
