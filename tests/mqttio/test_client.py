"""The asyncio MQTT client against a real Mosquitto (per-unit passwords and ACLs, as deployed):
connecting, subscribing, publishing, back-pressure, failures and the last will."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import pytest

from mqttio import AsyncMqttClient, Backoff, BrokerUrl, NotConnected, Received, Will
from protocol import topics
from protocol.topics import Channel
from provisioning.mosquitto import free_port
from tests.support.aio import async_test
from tests.support.waiting import eventually

pytestmark = pytest.mark.integration
FAST = Backoff(0.05, 0.2)


@contextlib.asynccontextmanager
async def running(client: AsyncMqttClient, *, connect: bool = True) -> AsyncIterator[None]:
    task = asyncio.create_task(client.run())
    try:
        if connect:
            await asyncio.wait_for(client.wait_subscribed(), 10)
        yield
    finally:
        await client.stop()
        await asyncio.wait_for(task, 10)


def hub_client(broker, received: list[Received], **kw) -> AsyncMqttClient:
    return AsyncMqttClient(
        broker.hub_url,
        client_id=kw.pop("client_id", "test-hub"),
        on_message=kw.pop("on_message", received.append),
        subscriptions=kw.pop("subscriptions", [(topics.subscription(Channel.TX), 1)]),
        backoff=FAST,
        **kw,
    )


def unit_client(broker, unit: str, **kw) -> AsyncMqttClient:
    return AsyncMqttClient(
        broker.unit_url(unit),
        client_id=kw.pop("client_id", topics.unit_client_id(unit)),
        on_message=kw.pop("on_message", lambda _m: None),
        backoff=FAST,
        **kw,
    )


@async_test
async def test_a_published_message_arrives_as_a_frozen_value_with_its_topic_and_bytes(broker):
    received: list[Received] = []
    hub, unit = hub_client(broker, received), unit_client(broker, "t010")
    async with running(hub), running(unit):
        unit.publish(topics.topic("t010", Channel.TX), b'{"x":1}', qos=1)
        await eventually(lambda: received, 10, "the message")
    (msg,) = received
    assert (msg.topic, msg.payload, msg.qos) == (topics.topic("t010", Channel.TX), b'{"x":1}', 1)
    with pytest.raises(AttributeError):
        msg.payload = b"other"  # type: ignore[misc]


@async_test
async def test_a_burst_of_small_messages_arrives_complete_and_in_order(broker):
    """GIVEN one unit publishing 2,000 messages back to back WHEN the hub reads them through
    its 64 KiB buffered reads THEN every message arrives once, in order."""
    received: list[Received] = []
    hub, unit = hub_client(broker, received), unit_client(broker, "t011")
    async with running(hub), running(unit):
        for n in range(2000):
            unit.publish(topics.topic("t011", Channel.TX), str(n).encode(), qos=1)
        await eventually(lambda: len(received) >= 2000, 20, "2,000 messages")
    assert [int(m.payload) for m in received] == list(range(2000))


@async_test
async def test_publishing_without_a_connection_raises_not_connected(broker):
    client = unit_client(broker, "t012")
    with pytest.raises(NotConnected):
        client.publish(topics.topic("t012", Channel.TX), b"{}")


@async_test
async def test_a_refused_password_is_reported_and_retried_without_connecting(broker):
    url = broker.url.with_credentials("t013", "wrong password")
    client = AsyncMqttClient(url, client_id="test-bad", on_message=lambda _m: None, backoff=FAST)
    async with running(client, connect=False):
        await eventually(lambda: client.last_error, 10, "the refusal")
        await asyncio.sleep(0.5)  # several attempts
        assert not client.connected
    assert "ConnectRefused" in (client.last_error or "")


@async_test
async def test_a_failing_message_handler_does_not_stop_later_messages(broker):
    seen: list[bytes] = []

    def handler(msg: Received) -> None:
        seen.append(msg.payload)
        if msg.payload == b"bad":
            raise ValueError("a handler bug")

    hub, unit = hub_client(broker, [], on_message=handler), unit_client(broker, "t014")
    async with running(hub), running(unit):
        tx = topics.topic("t014", Channel.TX)
        unit.publish(tx, b"bad")
        unit.publish(tx, b"good")
        await eventually(lambda: len(seen) == 2, 10, "both messages")
        assert hub.connected
    assert seen == [b"bad", b"good"]


@async_test
async def test_paused_reading_holds_messages_at_the_broker_until_resumed(broker):
    received: list[Received] = []
    hub, unit = hub_client(broker, received), unit_client(broker, "t015")
    async with running(hub), running(unit):
        hub.pause_reading()
        for n in range(20):
            unit.publish(topics.topic("t015", Channel.TX), str(n).encode())
        await asyncio.sleep(0.5)
        assert received == []
        hub.resume_reading()
        await eventually(lambda: len(received) == 20, 10, "the held messages")


@async_test
async def test_the_last_will_is_sent_for_a_dropped_link_but_not_for_a_clean_stop(broker):
    state = topics.topic("t018", Channel.STATE)
    received: list[Received] = []
    # the session's broker holds other tests' retained states: watch this unit's, live only
    watcher = hub_client(
        broker,
        [],
        client_id="test-watch",
        subscriptions=[(state, 1)],
        on_message=lambda m: None if m.retain else received.append(m),
    )

    def unit() -> AsyncMqttClient:
        return unit_client(broker, "t018", will=Will(state, b"offline", qos=1, retain=False))

    async with running(watcher):
        clean = unit()
        async with running(clean):
            pass  # stop(): DISCONNECT, the broker discards the will
        await asyncio.sleep(0.5)
        assert [m.payload for m in received] == []

        dropped = unit()
        task = asyncio.create_task(dropped.run())
        await asyncio.wait_for(dropped.wait_connected(), 10)
        dropped.kill()  # no DISCONNECT: a cut cable
        await asyncio.wait_for(task, 10)
        await eventually(lambda: received, 10, "the last will")
    assert [m.payload for m in received] == [b"offline"]


@async_test
async def test_the_client_reconnects_after_the_broker_restarts_and_runs_its_hook_again(
    fresh_broker,
):
    broker = fresh_broker(["t019"])
    connects: list[int] = []
    client: AsyncMqttClient

    def on_connect() -> None:
        connects.append(client.connections)

    client = unit_client(broker, "t019", on_connect=on_connect)
    async with running(client):
        broker.process.stop()
        await eventually(lambda: not client.connected, 10, "the lost connection")
        broker.process.start()
        await eventually(lambda: client.connected, 15, "the reconnect")
    assert connects == [1, 2]


@async_test
async def test_a_client_given_several_brokers_skips_a_dead_one_and_fails_over_when_its_own_goes(
    fresh_broker,
):
    """GIVEN a list of brokers whose first does not listen WHEN the client connects THEN it is on
    the second; WHEN that one stops THEN it is on the third, having run its hook again."""
    first, second = fresh_broker(["t020"]), fresh_broker(["t020"])
    dead = BrokerUrl("127.0.0.1", free_port())
    connects: list[BrokerUrl] = []
    client: AsyncMqttClient

    def on_connect() -> None:
        connects.append(client.url)

    client = AsyncMqttClient(
        [dead, first.unit_url("t020"), second.unit_url("t020")],
        client_id=topics.unit_client_id("t020"),
        on_message=lambda _m: None,
        on_connect=on_connect,
        backoff=FAST,
    )
    async with running(client):
        first.process.stop()
        await eventually(lambda: len(connects) == 2, 15, "the failover")
    assert [(u.port, u.password) for u in connects] == [
        (first.process.config.port, first.creds.password_for("t020")),
        (second.process.config.port, second.creds.password_for("t020")),
    ]


def test_a_client_needs_at_least_one_broker():
    with pytest.raises(ValueError, match="no broker"):
        AsyncMqttClient([], client_id="x", on_message=lambda _m: None)


@pytest.mark.parametrize("attempt", [0, 1, 3, 10])
def test_backoff_grows_with_jitter_and_stays_under_its_ceiling(attempt):
    backoff = Backoff(0.5, 30.0)
    ceiling = min(30.0, 0.5 * 2**attempt)
    delays = [backoff.delay(attempt) for _ in range(50)]
    assert all(ceiling / 2 <= d <= ceiling for d in delays)
    assert len(set(delays)) > 1  # a fleet does not reconnect in lockstep


def test_broker_urls_carry_credentials_separately_from_the_address():
    url = BrokerUrl.parse("mqtt://127.0.0.1:1884").with_credentials("t001", "secret")
    assert (url.host, url.port, url.username, url.password) == ("127.0.0.1", 1884, "t001", "secret")
