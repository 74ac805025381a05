"""A hostile or broken unit never stalls another unit's ingest, against a real Mosquitto on
SQLite and PostgreSQL (issue 10): poisoned messages are dead-lettered while the good unit's
events are all acknowledged in the usual time; a message the database refuses at commit is
isolated from its batch; and a database that is unavailable blames no message."""

import asyncio
import itertools
import sqlite3

import pytest
from sqlalchemy import event
from sqlmodel import Session

from hub.db import create_tables, make_engine
from hub.fleet.events import recent_dead_letters
from hub.ingest import consumer as consumer_module
from protocol.topics import Channel
from tests.support.builders import POISON_MESSAGES
from tests.support.ingest import BAD, running, stored, take_with_poison
from tests.support.network import CuttableProxy
from tests.support.waiting import eventually

pytestmark = pytest.mark.integration
GOOD = "t187"
EVENTS = 40
USUAL_S = 10  # a unit resends after 10 s without an ack: later than that is a stall


@pytest.fixture
def broker(fresh_broker):
    return fresh_broker([GOOD, BAD])


async def poison_every_20_ms(unit, stop):
    """The bad unit: one poisoned message every 20 ms, every kind in turn."""
    kinds = itertools.cycle(sorted(POISON_MESSAGES))
    for seq in itertools.count(1):
        if stop.is_set():
            return seq - 1  # messages sent
        msg = POISON_MESSAGES[next(kinds)](unit.id, seq)
        unit.send(msg.payload, Channel(msg.topic.split("/", 4)[4]))
        await asyncio.sleep(0.02)


async def stream(unit, n=EVENTS, every_s=0.05):
    """The good unit: ``n`` events, one message each."""
    sent = set()
    for seq in range(1, n + 1):
        sent |= unit.send_batch(n=1, seq0=seq)
        await asyncio.sleep(every_s)
    return sent


def test_a_unit_sending_poison_every_20_ms_never_delays_another_units_acks(
    broker, engine, database_url
):
    """GIVEN a unit sending a poisoned message every 20 ms (a seq of 2^63, a time near year
    9999, NUL in text and in a dead letter's reason, NaN in a heartbeat)
    WHEN another unit streams 40 events THEN all 40 are acknowledged in the usual time, and
    every poisoned message is a dead letter with a reason."""

    async def scenario():
        async with running(broker, engine, database_url, [GOOD, BAD]) as (consumer, _, units):
            good, bad = units
            stop = asyncio.Event()
            attack = asyncio.create_task(poison_every_20_ms(bad, stop))
            await asyncio.sleep(0.2)  # the attack is under way
            sent = await stream(good)
            await eventually(lambda: good.acked == sent, USUAL_S, "all 40 events acknowledged")
            stop.set()
            poisoned = await attack
            await eventually(
                lambda: consumer.stats.dead_letters == poisoned, 10, "every poison dead-lettered"
            )
            assert stored(engine, sent) == EVENTS
            assert bad.acks == []
            assert consumer.stats.db_errors == 0

    asyncio.run(scenario())
    with Session(engine) as s:
        dead = recent_dead_letters(s, limit=1000)
    assert {d.unit for d in dead} == {BAD}
    assert all(d.reason_code == "invalid_message" and d.reason for d in dead)


def test_a_message_the_database_refuses_is_isolated_and_the_rest_of_its_batch_acknowledged(
    broker, engine, database_url, monkeypatch
):
    """GIVEN a value that passes validation but that the database refuses (put past the
    protocol's bounds on purpose) in the bad unit's messages, sent every 20 ms
    THEN the good unit's events are all acknowledged in the usual time, and each refused
    message is dead-lettered with the database's reason and never acknowledged."""
    monkeypatch.setattr(consumer_module, "take", take_with_poison)

    async def scenario():
        async with running(broker, engine, database_url, [GOOD, BAD]) as (consumer, _, units):
            good, bad = units
            stop = asyncio.Event()

            async def refused_every_20_ms():
                for seq in itertools.count(1):
                    if stop.is_set():
                        return seq - 1
                    bad.send_batch(n=1, seq0=seq)
                    await asyncio.sleep(0.02)

            attack = asyncio.create_task(refused_every_20_ms())
            await asyncio.sleep(0.2)
            sent = await stream(good)
            await eventually(lambda: good.acked == sent, USUAL_S, "all 40 events acknowledged")
            stop.set()
            refused = await attack
            await eventually(lambda: consumer.stats.refused == refused, 10, "every refusal")
            assert stored(engine, sent) == EVENTS
            assert bad.acks == []
            assert consumer.stats.db_errors == 0

    asyncio.run(scenario())
    with Session(engine) as s:
        dead = recent_dead_letters(s, limit=1000)
    assert {(d.unit, d.reason_code) for d in dead} == {(BAD, "database_refused")}
    assert all(d.reason.startswith(("OverflowError: ", "NumericValueOutOfRange: ")) for d in dead)


@pytest.fixture
def outage(database_url):
    """An engine for the consumer, and a switch that makes its database unavailable for real:
    PostgreSQL behind a TCP link the test cuts, or a SQLite file another process locks."""
    if database_url.startswith("sqlite"):
        engine = make_engine(database_url)
        create_tables(engine)

        @event.listens_for(engine, "connect")
        def _short_wait(dbapi_conn, _record):
            dbapi_conn.execute("PRAGMA busy_timeout = 100")

        engine.dispose()
        holder = sqlite3.connect(database_url.removeprefix("sqlite:///"), isolation_level=None)

        def down(is_down):
            holder.execute("BEGIN EXCLUSIVE" if is_down else "ROLLBACK")

        yield engine, down
        holder.close()
    else:
        direct = make_engine(database_url)
        create_tables(direct)
        direct.dispose()
        proxy = CuttableProxy(5432)
        engine = make_engine(database_url.replace(":5432/", f":{proxy.port}/"))
        yield engine, lambda is_down: proxy.cut() if is_down else proxy.heal()
        proxy.close()
    engine.dispose()


def test_while_the_database_is_unavailable_nothing_is_dead_lettered_and_all_is_stored_after(
    broker, database_url, outage
):
    """GIVEN the database unavailable (connection refused, or locked) WHEN a unit sends
    events THEN nothing is acknowledged or dead-lettered, and once the database is back the
    same batches commit and are acknowledged without the unit sending them again."""
    engine, down = outage

    async def scenario():
        async with running(broker, engine, database_url, [GOOD]) as (consumer, _, (good,)):
            warm = good.send_batch(n=1, seq0=100)
            await eventually(lambda: good.acked == warm, 10, "a first ack")
            down(True)
            sent = await stream(good, n=10, every_s=0.02)
            await eventually(lambda: consumer.stats.db_errors >= 2, 10, "failed commits")
            assert good.acked == warm
            down(False)
            await eventually(lambda: good.acked == warm | sent, 30, "every event acknowledged")
            assert stored(engine, sent) == 10
            assert (consumer.stats.dead_letters, consumer.stats.refused) == (0, 0)

    asyncio.run(scenario())
