"""The lean ingest receiver against a real Mosquitto: it receives what units publish, holds
each QoS 1 message at the broker until acknowledged (a reconnect gets the rest again), pauses,
reconnects after a broker restart, and drops a connection that sends a malformed frame without
taking the process down."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

import pytest

from mqttio import AsyncMqttClient, Backoff, BrokerUrl, Received
from mqttio.lean import LeanSubscriber
from protocol import topics
from protocol.topics import Channel
from tests.support.aio import async_test
from tests.support.brokers import serving
from tests.support.waiting import eventually

pytestmark = pytest.mark.integration
FAST = Backoff(0.05, 0.2)


@contextlib.asynccontextmanager
async def running(*clients: AsyncMqttClient | LeanSubscriber) -> AsyncIterator[None]:
    tasks = [asyncio.create_task(c.run()) for c in clients]
    try:
        await asyncio.wait_for(asyncio.gather(*(c.wait_subscribed() for c in clients)), 10)
        yield
    finally:
        for c in clients:
            await c.stop()
        await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), 10)


def receiver(url: BrokerUrl, received: list[Received], unit: str, **kw) -> LeanSubscriber:
    return LeanSubscriber(
        url,
        client_id=kw.pop("client_id", f"test-lean-{unit}"),
        on_message=kw.pop("on_message", received.append),
        subscriptions=kw.pop("subscriptions", [(topics.topic(unit, Channel.TX), 1)]),
        backoff=FAST,
        **kw,
    )


def unit_client(broker, unit: str) -> AsyncMqttClient:
    return AsyncMqttClient(
        broker.unit_url(unit),
        client_id=topics.unit_client_id(unit),
        on_message=lambda _m: None,
        backoff=FAST,
        max_inflight=1000,
    )


def send(unit: AsyncMqttClient, unit_id: str, payloads: list[bytes]) -> None:
    for payload in payloads:
        unit.publish(topics.topic(unit_id, Channel.TX), payload, qos=1)


@async_test
async def test_every_message_arrives_in_order_with_its_topic_payload_and_a_token(broker):
    received: list[Received] = []
    hub, unit = receiver(broker.hub_url, received, "t150"), unit_client(broker, "t150")
    async with running(hub, unit):
        payloads = [f"m{n}".encode() * (1 + n % 50) for n in range(500)]
        send(unit, "t150", payloads)
        await eventually(lambda: len(received) == 500, 10, "every message")
        assert [m.payload for m in received] == payloads
        assert {m.topic for m in received} == {topics.topic("t150", Channel.TX)}
        assert all(m.qos == 1 and m.token for m in received)
        assert hub.acknowledge([m.token for m in received]) == 500


@async_test
async def test_a_message_not_acknowledged_comes_again_after_a_reconnect_and_an_acked_one_not(
    broker,
):
    """GIVEN 10 messages received and the first 4 acknowledged WHEN the connection drops THEN
    the reconnect resumes the session and the broker sends the other 6 again; acking those on
    the new connection settles them (a second reconnect brings nothing)."""
    received: list[Received] = []
    hub, unit = receiver(broker.hub_url, received, "t151"), unit_client(broker, "t151")
    async with running(hub, unit):
        send(unit, "t151", [str(n).encode() for n in range(10)])
        await eventually(lambda: len(received) == 10, 10, "the messages")
        assert hub.acknowledge([m.token for m in received[:4]]) == 4
        await asyncio.sleep(0.2)  # the PUBACKs reach the broker before the link is cut
        hub.drop_connection()
        await eventually(lambda: hub.connections == 2 and hub.connected, 10, "the reconnect")
        await eventually(lambda: len(received) == 16, 10, "the unacknowledged again")
        again = received[10:]
        assert [m.payload for m in again] == [str(n).encode() for n in range(4, 10)]
        assert hub.sessions_resumed == 1
        # a token of the first connection acknowledges nothing on the second
        assert hub.acknowledge([m.token for m in received[4:10]]) == 0
        assert hub.acknowledge([m.token for m in again]) == 6
        await asyncio.sleep(0.2)
        hub.drop_connection()
        await eventually(lambda: hub.connections == 3 and hub.connected, 10, "the reconnect")
        await asyncio.sleep(0.5)
        assert len(received) == 16


@async_test
async def test_a_receiver_that_stops_cleanly_leaves_no_share_of_the_stream_behind(fresh_broker):
    """GIVEN two receivers on the shared subscription WHEN one stops cleanly THEN its session
    ends with it: everything published afterwards reaches the other."""
    broker = fresh_broker(["t152"])
    shared = [(topics.shared(topics.subscription(Channel.TX)), 1)]
    kept: list[Received] = []
    gone: list[Received] = []
    one = receiver(broker.hub_url, kept, "t152", client_id="test-lean-a", subscriptions=shared)
    two = receiver(broker.hub_url, gone, "t152", client_id="test-lean-b", subscriptions=shared)
    unit = unit_client(broker, "t152")
    async with running(one, unit):
        async with running(two):
            pass
        send(unit, "t152", [str(n).encode() for n in range(20)])
        await eventually(lambda: len(kept) == 20, 10, "every message at the one left")
    assert gone == []


@async_test
async def test_paused_reading_delivers_nothing_until_resumed_and_then_everything(broker):
    received: list[Received] = []
    hub, unit = receiver(broker.hub_url, received, "t153"), unit_client(broker, "t153")
    async with running(hub, unit):
        hub.pause_reading()
        send(unit, "t153", [str(n).encode() for n in range(200)])
        await asyncio.sleep(0.5)
        assert received == []
        hub.resume_reading()
        await eventually(lambda: len(received) == 200, 10, "the held messages")
        assert [m.payload for m in received] == [str(n).encode() for n in range(200)]


@async_test
async def test_pausing_in_the_middle_of_one_read_holds_the_rest_of_it(broker):
    received: list[Received] = []
    hub: LeanSubscriber

    def take(msg: Received) -> None:
        received.append(msg)
        if len(received) == 5:
            hub.pause_reading()

    hub = receiver(broker.hub_url, received, "t154", on_message=take)
    unit = unit_client(broker, "t154")
    async with running(hub, unit):
        hub.pause_reading()
        send(unit, "t154", [str(n).encode() for n in range(50)])
        await asyncio.sleep(0.5)
        hub.resume_reading()  # all 50 are likely in one read now
        await eventually(lambda: len(received) == 5, 10, "the first five")
        await asyncio.sleep(0.3)
        assert len(received) == 5
        hub.resume_reading()
        await eventually(lambda: len(received) == 50, 10, "the rest")


@async_test
async def test_a_message_larger_than_the_receiver_takes_is_not_sent_to_it_and_the_link_stays(
    broker,
):
    received: list[Received] = []
    hub = receiver(broker.hub_url, received, "t155", max_packet=1024)
    unit = unit_client(broker, "t155")
    async with running(hub, unit):
        send(unit, "t155", [b"x" * 2000, b"small"])
        await eventually(lambda: len(received) == 1, 10, "the small message")
        await asyncio.sleep(0.3)
        assert [m.payload for m in received] == [b"small"]
        assert hub.connected
        assert hub.connections == 1


@async_test
async def test_the_receiver_reconnects_and_resubscribes_after_the_broker_restarts(fresh_broker):
    broker = fresh_broker(["t156"])
    received: list[Received] = []
    hub, unit = receiver(broker.hub_url, received, "t156"), unit_client(broker, "t156")
    async with running(hub, unit):
        broker.process.stop()
        await eventually(lambda: not hub.connected, 10, "the lost connection")
        broker.process.start()
        await eventually(lambda: hub.connected and unit.connected, 15, "the reconnects")
        await asyncio.wait_for(hub.wait_subscribed(), 10)
        send(unit, "t156", [b"after"])
        await eventually(lambda: len(received) == 1, 10, "a message after the restart")
    assert hub.connections == 2


@async_test
async def test_a_refused_password_is_reported_and_retried(broker):
    url = broker.hub_url.with_credentials("hub", "wrong")
    hub = receiver(url, [], "t157")
    task = asyncio.create_task(hub.run())
    await asyncio.sleep(0.5)
    assert not hub.connected
    assert "refused" in (hub.last_error or "")
    await hub.stop()
    await asyncio.wait_for(task, 5)


class _Garbler:
    """A server that answers CONNECT with a CONNACK and then ``then``: the malformed bytes no
    real broker sends, to prove the receiver drops such a connection and lives on."""

    def __init__(self, then: bytes) -> None:
        self.then = then
        self.connects = 0

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read(1024)  # the CONNECT
        self.connects += 1
        writer.write(b"\x20\x03\x00\x00\x00" + self.then)  # CONNACK, success
        await writer.drain()
        with contextlib.suppress(ConnectionError):
            await reader.read(1024)  # until the receiver hangs up
        writer.close()


@pytest.mark.parametrize(
    "then",
    [b"\x30\xff\xff\xff\xff\x01", b"\x30\x04\x00\x09ab", b"\x10\x00", b"\x30" + b"\xff\xff\x7f"],
    ids=["length", "topic", "type", "oversize"],
)
@async_test
async def test_a_malformed_frame_drops_the_connection_and_the_receiver_reconnects(then, caplog):
    garbler = _Garbler(then)
    server = await asyncio.start_server(garbler.handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    received: list[Received] = []
    hub = receiver(BrokerUrl("127.0.0.1", port), received, "t158", max_packet=1 << 20)
    task = asyncio.create_task(hub.run())
    with caplog.at_level(logging.ERROR, "bianmin.mqtt"):
        await eventually(lambda: garbler.connects >= 2, 10, "a second connection")
    await hub.stop()
    await asyncio.wait_for(task, 5)
    server.close()
    assert received == []
    assert "malformed packet from the broker" in caplog.text


@async_test
async def test_a_broker_that_speaks_only_mqtt_3_1_1_gets_3_1_1_and_every_message_arrives(tmp_path):
    """GIVEN the embedded broker (amqtt, MQTT 3.1.1 only, which never answers an MQTT 5
    CONNECT) WHEN the receiver connects THEN it falls back to 3.1.1, subscribes, receives, and
    acknowledges on receipt (acknowledge() then has nothing to send)."""
    async with serving("embedded", ["t159"], tmp_path) as served:
        received: list[Received] = []
        hub = receiver(served.hub_url, received, "t159")
        unit = AsyncMqttClient(
            served.unit_url("t159"), client_id=topics.unit_client_id("t159"),
            on_message=lambda _m: None, backoff=FAST,
        )  # fmt: skip
        async with running(hub, unit):
            assert hub.version == 4
            send(unit, "t159", [str(n).encode() for n in range(20)])
            await eventually(lambda: len(received) == 20, 10, "every message")
            assert [m.payload for m in received] == [str(n).encode() for n in range(20)]
            assert hub.acknowledge([m.token for m in received]) == 0
