"""The ingest consumer on its lean receiver (mqttio/lean.py), against a real Mosquitto and both
databases: the broker holds every message until its batch is committed, so a connection lost
before the commit costs a redelivery, never a loss, and the second copy is stored once.
The paho receiver, kept as the fallback, still stores and acknowledges."""

import asyncio

import pytest
from sqlalchemy import func, select

from hub.models import Event
from tests.hub.ingest.test_consumer import Gate
from tests.support.ingest import running, stored
from tests.support.waiting import eventually

pytestmark = pytest.mark.integration
EVENTS = Event.__table__  # type: ignore[attr-defined]


@pytest.fixture
def broker(fresh_broker):
    return fresh_broker(["t170", "t171", "t172"])


def rows_of(engine, unit: str) -> int:
    with engine.connect() as conn:
        query = select(func.count()).select_from(EVENTS).where(EVENTS.c.unit == unit)
        return int(conn.execute(query).scalar_one())


def test_a_connection_lost_before_the_commit_brings_the_batch_again_and_it_is_stored_once(
    broker, engine, database_url, monkeypatch
):
    """GIVEN a commit held back WHEN the receiver's connection drops THEN the broker, never
    told the batch was committed, sends it again on the resumed session; both copies commit,
    the events are stored once and acknowledged to the unit."""
    gate = Gate(monkeypatch)

    async def scenario():
        async with running(broker, engine, database_url, ["t170"]) as (consumer, _, (unit,)):
            receiver = consumer.receiver
            assert receiver is not None
            sent = unit.send_batch(n=3)
            await eventually(gate.entered.is_set, 10, "the commit to start")
            receiver.drop_connection()
            await eventually(lambda: receiver.connections == 2, 10, "the reconnect")
            gate.open.set()
            await eventually(lambda: consumer.stats.messages == 2, 10, "the second copy")
            await eventually(lambda: unit.acked == sent, 10, "the ack")
            assert receiver.sessions_resumed == 1
            assert (consumer.stats.inserted, consumer.stats.duplicates) == (3, 3)
            assert rows_of(engine, "t170") == 3
            # settled now: a further reconnect brings nothing
            await asyncio.sleep(0.2)
            receiver.drop_connection()
            await eventually(lambda: receiver.connections == 3, 10, "the second reconnect")
            await asyncio.sleep(0.5)
            assert consumer.stats.messages == 2

    asyncio.run(scenario())


def test_a_committed_batch_is_released_at_the_broker_and_never_comes_again(
    broker, engine, database_url
):
    async def scenario():
        async with running(broker, engine, database_url, ["t171"]) as (consumer, _, (unit,)):
            receiver = consumer.receiver
            assert receiver is not None
            sent = set()
            for i in range(20):
                sent |= unit.send_batch(n=2, seq0=1 + 2 * i)
            await eventually(lambda: unit.acked == sent, 10, "the acks")
            await asyncio.sleep(0.2)
            receiver.drop_connection()
            await eventually(lambda: receiver.connections == 2, 10, "the reconnect")
            await asyncio.sleep(0.5)
            assert consumer.stats.messages == 20
            assert stored(engine, sent) == 40 == consumer.stats.inserted

    asyncio.run(scenario())


def test_the_paho_receiver_still_stores_and_acknowledges(broker, engine, database_url):
    async def scenario():
        async with running(
            broker, engine, database_url, ["t172"], ingest_receiver="paho"
        ) as (consumer, _, (unit,)):  # fmt: skip
            assert consumer.receiver is None
            sent = unit.send_batch(n=3)
            await eventually(lambda: unit.acked == sent, 10, "the ack")
            assert stored(engine, sent) == 3

    asyncio.run(scenario())
