"""The ingest consumer against a real Mosquitto and both databases: it acknowledges only what
it committed, dead-letters a bad message without stopping, pushes back on the broker when the
database falls behind, and stops in order.

A unit here is a bare MQTT client with the unit's own credentials: it publishes tx batches
and collects the hub's acks, so each test sees exactly what a unit would.
"""

import asyncio
import threading
import uuid

import pytest
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from hub.fleet.events import recent_dead_letters
from hub.ingest import isolation
from hub.ingest.batch import commit_ingest_batch
from protocol import topics
from protocol.messages import encode
from protocol.topics import Channel
from tests.support.builders import tx_batch
from tests.support.ingest import running, stored
from tests.support.waiting import eventually

pytestmark = pytest.mark.integration


@pytest.fixture
def broker(fresh_broker):
    """A broker of the test's own: the session's holds other tests' retained messages, which a
    consumer subscribed to every unit would take in and count."""
    return fresh_broker([f"t18{n}" for n in range(10)])


class Gate:
    """Holds the consumer's commits until opened (they run in a worker thread)."""

    def __init__(self, monkeypatch, fail_first=False):
        self.open = threading.Event()
        self.entered = threading.Event()
        self.fail_first = fail_first

        def held(engine, batch):
            self.entered.set()
            self.open.wait(30)
            if self.fail_first:
                self.fail_first = False
                raise OperationalError("INSERT", {}, Exception("simulated outage"))
            return commit_ingest_batch(engine, batch)

        monkeypatch.setattr(isolation, "commit_ingest_batch", held)


def test_an_ack_names_only_events_the_database_already_holds(
    broker, engine, database_url, monkeypatch
):
    """GIVEN a commit held back WHEN a unit sends a batch THEN no ack comes while it is held,
    and when the ack comes every id it names is in the database already."""
    gate = Gate(monkeypatch)

    async def scenario():
        async with running(broker, engine, database_url, ["t180"]) as (_, _, (unit,)):
            in_db_at_ack = []  # checked the moment each ack arrives
            unit.on_ack = lambda ids: in_db_at_ack.append(stored(engine, ids) == len(ids))
            sent = unit.send_batch(n=3)
            await eventually(gate.entered.is_set, 10, "the commit to start")
            await asyncio.sleep(0.5)
            assert unit.acks == []
            assert stored(engine, sent) == 0
            gate.open.set()
            await eventually(lambda: unit.acked == sent, 10, "the ack")
            assert in_db_at_ack == [True]

    asyncio.run(scenario())


def test_a_commit_failed_by_the_database_acknowledges_nothing_and_the_batch_is_tried_again(
    broker, engine, database_url, monkeypatch
):
    """GIVEN the database failing one commit (unavailable, no message to blame) THEN nothing
    is acknowledged or dead-lettered, and the same batch is tried again and acknowledged."""
    gate = Gate(monkeypatch, fail_first=True)
    gate.open.set()

    async def scenario():
        async with running(broker, engine, database_url, ["t181"]) as (consumer, _, (unit,)):
            batch = tx_batch(unit.id, n=3)
            sent = {e.id for e in batch.events}
            unit.send(encode(batch))
            await eventually(lambda: consumer.stats.db_errors == 1, 10, "the failed commit")
            await asyncio.sleep(0.5)
            assert unit.acks == []
            assert stored(engine, sent) == 0
            await eventually(lambda: unit.acked == sent, 10, "the ack once it is stored")
            assert stored(engine, sent) == 3
            assert (consumer.stats.dead_letters, consumer.stats.refused) == (0, 0)

    asyncio.run(scenario())


def test_a_malformed_payload_is_dead_lettered_and_the_next_good_message_goes_through(
    broker, engine, database_url
):
    async def scenario():
        async with running(broker, engine, database_url, ["t182"]) as (consumer, _, (unit,)):
            unit.send(b"{not json")
            sent = unit.send_batch(n=2)
            await eventually(lambda: unit.acked == sent, 10, "the ack of the good batch")
            assert stored(engine, sent) == 2
            assert consumer.stats.dead_letters == 1

    asyncio.run(scenario())
    with Session(engine) as s:
        (dead,) = recent_dead_letters(s)
    assert (dead.unit, dead.topic) == ("t182", topics.topic("t182", Channel.TX))
    assert dead.reason_code == "malformed_json"
    assert dead.reason
    assert (dead.size, dead.payload_preview) == (len(b"{not json"), "{not json")


def test_reading_pauses_past_the_high_water_mark_and_resumes_below_the_low_one(
    broker, engine, database_url, monkeypatch
):
    """GIVEN commits held back WHEN a unit sends more than the high-water mark THEN the
    consumer stops reading (the broker keeps the rest), and once commits go on it resumes
    only when the queue is down to the low-water mark; nothing is lost on the way."""
    high, low = 64 * 1024, 16 * 1024
    batches = 12
    gate = Gate(monkeypatch)
    calls: list[tuple[str, int]] = []

    async def scenario():
        async with running(
            broker, engine, database_url, ["t183"],
            ingest_queue_high_bytes=high, ingest_queue_low_bytes=low, ingest_batch_messages=2,
        ) as (consumer, _, (unit,)):  # fmt: skip
            client = consumer.receiver
            assert client is not None
            pause, resume = client.pause_reading, client.resume_reading

            def record(name, call):
                def wrapper():
                    calls.append((name, consumer.snapshot()["queued_bytes"]))
                    call()

                return wrapper

            monkeypatch.setattr(client, "pause_reading", record("pause", pause))
            monkeypatch.setattr(client, "resume_reading", record("resume", resume))
            sent: set[uuid.UUID] = set()
            # about 115 KB in all, likely one read: when it pauses, the rest of that read is
            # held back, which the socket will not signal again
            for i in range(batches):  # about 10 KB each
                sent |= unit.send_batch(n=40, seq0=1 + 40 * i)
            await eventually(lambda: consumer.stats.pauses == 1, 10, "the pause")
            await eventually(gate.entered.is_set, 10, "the held commit")
            queued = consumer.snapshot()["queued"]
            await asyncio.sleep(0.5)
            # not reading: nothing more is taken in; the rest waits in the socket and the broker
            assert consumer.snapshot()["queued"] == queued < batches - 2
            gate.open.set()
            await eventually(lambda: unit.acked == sent, 20, "every batch acknowledged")
            assert stored(engine, sent) == batches * 40
            assert [name for name, _ in calls] == ["pause", "resume"] * (len(calls) // 2)
            assert all(size >= high for name, size in calls if name == "pause")
            assert all(size <= low for name, size in calls if name == "resume")

    asyncio.run(scenario())


def test_stop_commits_and_acknowledges_the_batch_in_flight_before_disconnecting(
    broker, engine, database_url, monkeypatch
):
    """GIVEN a commit in flight WHEN stop() is called THEN it waits for that commit, sends its
    ack, and only then disconnects; run() then ends by itself."""
    gate = Gate(monkeypatch)

    async def scenario():
        async with running(broker, engine, database_url, ["t184"]) as (consumer, run, (unit,)):
            sent = unit.send_batch(n=3)
            await eventually(gate.entered.is_set, 10, "the commit to start")
            stopping = asyncio.create_task(consumer.stop())
            await asyncio.sleep(0.3)
            assert not stopping.done()
            assert consumer.client.connected
            gate.open.set()
            await asyncio.wait_for(stopping, 10)
            assert not consumer.client.connected
            assert stored(engine, sent) == 3
            await eventually(lambda: unit.acked == sent, 10, "the ack sent before disconnecting")
            await asyncio.wait_for(run, 5)  # returns: nothing had to cancel it

    asyncio.run(scenario())


def test_stop_when_idle_ends_run_and_its_writer_without_cancelling(broker, engine, database_url):
    async def scenario():
        async with running(broker, engine, database_url, ["t185"]) as (consumer, run, (unit,)):
            sent = unit.send_batch(n=2)
            await eventually(lambda: unit.acked == sent, 10, "the ack")
            await asyncio.wait_for(consumer.stop(), 5)
            await asyncio.wait_for(run, 5)
            assert not run.cancelled()
            assert not consumer.client.connected
            writers = [t for t in asyncio.all_tasks() if t.get_name() == "ingest-writer"]
            assert writers == []  # finished and awaited, not left pending
            unit.send_batch(n=1)
            await asyncio.sleep(0.3)
            assert consumer.stats.messages == 1  # a stopped consumer reads nothing more

    asyncio.run(scenario())
