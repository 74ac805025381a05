"""The unit's link against a real Mosquitto, with the test playing the hub: what goes out on
`tx` and `state`, what the link does with acks, timeouts and reconnects."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from collections import defaultdict
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest

from edge.eventlog import MemoryEventLog
from edge.link import LinkSettings, UnitLink
from mqttio import AsyncMqttClient, Backoff, Received
from protocol import topics
from protocol.messages import Ack, State, TxBatch, decode, decode_tx, encode
from protocol.topics import Channel
from tests.conftest import Broker
from tests.support.builders import transition
from tests.support.network import CuttableProxy
from tests.support.waiting import eventually

pytestmark = pytest.mark.integration

QUICK = LinkSettings(ack_timeout_s=0.6, ack_timeout_max_s=2.4, backoff=Backoff(0.05, 0.2))


class Hub:
    """Reads one unit's `tx` and `state` as the hub would, and acknowledges on demand."""

    def __init__(self, broker: Broker, unit: str) -> None:
        self.unit = unit
        self.inbox: defaultdict[Channel, asyncio.Queue[Received]] = defaultdict(asyncio.Queue)
        self.client = AsyncMqttClient(
            broker.hub_url,
            client_id=f"hub-test-{unit}",
            on_message=lambda m: self.inbox[topics.parse(m.topic).channel].put_nowait(m),
            subscriptions=[
                (topics.topic(unit, Channel.TX), 1),
                (topics.topic(unit, Channel.STATE), 1),
            ],
        )

    async def batch(self, timeout: float = 5) -> TxBatch:
        msg = await asyncio.wait_for(self.inbox[Channel.TX].get(), timeout)
        return decode_tx(self.unit, msg.payload)

    async def state(self, timeout: float = 5) -> State:
        msg = await asyncio.wait_for(self.inbox[Channel.STATE].get(), timeout)
        return decode(State, msg.payload)

    def nothing_sent(self) -> bool:
        return self.inbox[Channel.TX].empty()

    def ack(self, batch: TxBatch) -> None:
        self.send_ack(encode(Ack(ids=[e.id for e in batch.events])))

    def send_ack(self, payload: bytes) -> None:
        self.client.publish(topics.topic(self.unit, Channel.ACK), payload)


@dataclass
class Unit:
    link: UnitLink
    log: MemoryEventLog

    async def commit(self, count: int) -> list[str]:
        bodies = [transition() for _ in range(count)]
        return [str(e.id) for e in await self.log.append_many(bodies)]


@contextlib.asynccontextmanager
async def linked(
    broker: Broker, unit: str, *, port: int | None = None, settings: LinkSettings = QUICK
) -> AsyncIterator[tuple[Unit, Hub]]:
    """A link for ``unit`` (through ``port`` when given, else straight to the broker) and the
    hub's side, both connected."""
    hub = Hub(broker, unit)
    hub_task = asyncio.create_task(hub.client.run())
    await asyncio.wait_for(hub.client.wait_subscribed(), 10)
    url = broker.unit_url(unit)
    if port is not None:
        url = dataclasses.replace(url, port=port)
    log = MemoryEventLog(unit)
    link = UnitLink(unit, log, url, settings)
    link_task = asyncio.create_task(link.run())
    try:
        await asyncio.wait_for(link.client.wait_subscribed(), 10)
        yield Unit(link, log), hub
    finally:
        await link.stop()
        await hub.client.stop()
        for task in (link_task, hub_task):
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait_for(task, 5)


def test_committed_events_arrive_as_one_tx_batch_the_hub_decodes(broker):
    async def scenario():
        async with linked(broker, "t150") as (unit, hub):
            ids = await unit.commit(3)
            batch = await hub.batch()
            return ids, batch, unit.link.stats

    ids, batch, stats = asyncio.run(scenario())
    assert [str(e.id) for e in batch.events] == ids
    assert [e.seq for e in batch.events] == [1, 2, 3]
    assert (stats.messages_sent, stats.events_sent) == (1, 3)


def test_events_whose_ack_the_log_could_not_commit_are_sent_again(broker, monkeypatch):
    """GIVEN the hub acknowledges a batch WHEN the log fails to commit forgetting it THEN the
    link sends those events again at once, and the next ack empties the log."""

    async def scenario():
        async with linked(broker, "t157") as (unit, hub):
            real = unit.log.acknowledge
            calls = 0

            async def failing_once(ids):
                nonlocal calls
                calls += 1
                if calls == 1:
                    raise OSError("disk I/O error")
                return await real(ids)

            monkeypatch.setattr(unit.log, "acknowledge", failing_once)
            ids = await unit.commit(2)
            first = await hub.batch()
            hub.ack(first)
            again = await hub.batch()
            hub.ack(again)
            await asyncio.wait_for(unit.link.drained.wait(), 5)
            return ids, again, unit.log.depth

    ids, again, depth = asyncio.run(scenario())
    assert [str(e.id) for e in again.events] == ids
    assert depth == 0


def test_unacknowledged_events_are_sent_again_with_a_doubling_timeout(broker):
    """GIVEN a batch the hub receives but never acknowledges
    WHEN the ack timeout passes, twice THEN the batch is sent again each time and the timeout
    doubles; the first ack brings it back to its start and nothing more is sent."""

    async def scenario():
        async with linked(broker, "t151") as (unit, hub):
            await unit.commit(2)
            first = await hub.batch()
            again = await hub.batch(timeout=3)
            after_one = unit.link.window.timeout
            third = await hub.batch(timeout=5)
            after_two = unit.link.window.timeout
            hub.ack(third)
            await asyncio.wait_for(unit.link.drained.wait(), 5)
            reset = unit.link.window.timeout
            await asyncio.sleep(1.5)  # longer than the first timeout: nothing goes again
            return first, again, third, (after_one, after_two, reset), hub.nothing_sent()

    first, again, third, timeouts, quiet = asyncio.run(scenario())
    assert again.events == first.events == third.events
    assert timeouts == (1.2, 2.4, 0.6)
    assert quiet


def test_after_a_reconnect_everything_in_flight_is_sent_again(broker):
    async def scenario():
        proxy = CuttableProxy(broker.process.config.port)
        try:
            settings = LinkSettings(ack_timeout_s=60, backoff=Backoff(0.05, 0.2))
            async with linked(broker, "t152", port=proxy.port, settings=settings) as (unit, hub):
                await unit.commit(4)
                before = await hub.batch()
                proxy.cut()
                await asyncio.sleep(0.3)
                proxy.heal()
                after = await hub.batch(timeout=10)
                return before, after, unit.link.client.connections, unit.link.stats
        finally:
            proxy.close()

    before, after, connections, stats = asyncio.run(scenario())
    assert connections == 2
    assert after.events == before.events  # long before the 60 s ack timeout
    assert stats.events_resent == 4


def test_drained_is_set_only_when_the_log_is_empty(broker):
    async def scenario():
        async with linked(broker, "t153") as (unit, hub):
            drained = [unit.link.drained.is_set()]
            await unit.commit(2)
            drained.append(unit.link.drained.is_set())
            batch = await hub.batch()
            hub.ack(TxBatch(events=batch.events[:1]))
            await eventually(lambda: unit.log.depth == 1, 5, "the event committed")
            drained.append(unit.link.drained.is_set())
            hub.ack(batch)
            await asyncio.wait_for(unit.link.drained.wait(), 5)
            drained.append(unit.log.depth == 0)
            return drained

    assert asyncio.run(scenario()) == [True, False, False, True]


def test_a_malformed_ack_is_counted_and_ignored_and_the_link_carries_on(broker):
    async def scenario():
        async with linked(broker, "t154") as (unit, hub):
            await unit.commit(1)
            batch = await hub.batch()
            hub.send_ack(b"{not json")
            hub.send_ack(b'{"v":1,"ids":["not-a-uuid"]}')
            hub.ack(batch)
            await asyncio.wait_for(unit.link.drained.wait(), 5)
            await unit.commit(1)
            later = await hub.batch()
            return unit.link.stats, later, unit.link.client.connected

    stats, later, connected = asyncio.run(scenario())
    assert stats.bad_downlink == 2
    assert stats.events_acked == 1
    assert [e.seq for e in later.events] == [2]
    assert connected


def test_presence_is_online_on_connect_and_offline_on_stop_or_as_the_last_will(broker):
    async def scenario():
        states = []
        async with linked(broker, "t155") as (unit, hub):
            states.append(await hub.state())
            unit.link.client.kill()  # the TCP connection drops without a goodbye
            states.append(await hub.state())
        async with linked(broker, "t156") as (unit, hub):
            states.append(await hub.state())
            await unit.link.stop()
            states.append(await hub.state())
        return states

    online, will, online_again, goodbye = asyncio.run(scenario())
    assert (online.online, online.ts is not None) == (True, True)
    assert (will.online, will.ts) == (False, None)  # the broker speaks for the unit
    assert online_again.online
    assert (goodbye.online, goodbye.ts is not None) == (False, True)  # the unit said it
