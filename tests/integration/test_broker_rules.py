"""Every unit has its own credentials and can only touch its own topics, on Mosquitto and on
the embedded broker alike."""

import asyncio

import pytest

from mqttio import AsyncMqttClient, Backoff, BrokerUrl
from protocol import topics
from protocol.topics import Channel
from provisioning import credentials
from provisioning.embedded_broker import EmbeddedBroker
from provisioning.mosquitto import free_port

pytestmark = pytest.mark.integration


async def _exercise(url: BrokerUrl, creds):
    got = []
    hub = AsyncMqttClient(
        url.with_credentials("hub", creds.hub_password),
        client_id="hub",
        on_message=lambda m: got.append(("hub", m.topic)),
        subscriptions=[(topics.subscription(Channel.TX), 1)],
    )
    spy = AsyncMqttClient(
        url.with_credentials("t001", creds.units["t001"]),
        client_id="unit-t001",
        on_message=lambda m: got.append(("t001", m.topic)),
        subscriptions=[
            (topics.topic("t001", Channel.CONFIG), 1),
            (topics.topic("t002", Channel.CONFIG), 1),
        ],
    )
    tasks = [asyncio.create_task(c.run()) for c in (hub, spy)]
    await asyncio.wait_for(asyncio.gather(hub.wait_connected(), spy.wait_connected()), 10)
    await asyncio.sleep(0.3)
    spy.publish(topics.topic("t001", Channel.TX), b"own")
    spy.publish(topics.topic("t002", Channel.TX), b"spoofed")
    hub.publish(topics.topic("t001", Channel.CONFIG), b"mine")
    hub.publish(topics.topic("t002", Channel.CONFIG), b"not mine")
    await asyncio.sleep(0.8)
    bad = AsyncMqttClient(
        url.with_credentials("t001", "wrong"),
        client_id="intruder",
        on_message=lambda m: None,
        backoff=Backoff(5, 5),
    )
    bad_task = asyncio.create_task(bad.run())
    for _ in range(100):
        if bad.last_error:
            break
        await asyncio.sleep(0.05)
    refused = bad.last_error
    connected = bad.connected
    await bad.stop()
    bad_task.cancel()
    for c in (hub, spy):
        await c.stop()
    for t in tasks:
        t.cancel()
    return got, refused, connected


def test_mosquitto_keeps_units_to_their_own_topics(broker):
    got, refused, connected = asyncio.run(_exercise(broker.url, broker.creds))
    assert ("hub", topics.topic("t001", Channel.TX)) in got
    assert ("t001", topics.topic("t001", Channel.CONFIG)) in got
    assert not [g for g in got if "t002" in g[1]]
    assert refused is not None
    assert not connected


def test_embedded_broker_applies_the_same_rules():
    creds = credentials.generate(["t001", "t002"])

    async def scenario():
        server = EmbeddedBroker(free_port(), creds)
        await server.start()
        try:
            return await _exercise(BrokerUrl.parse(server.url), creds)
        finally:
            await server.stop()

    got, refused, connected = asyncio.run(scenario())
    assert ("hub", topics.topic("t001", Channel.TX)) in got
    assert ("t001", topics.topic("t001", Channel.CONFIG)) in got
    assert not [g for g in got if "t002" in g[1]]
    assert refused is not None
    assert not connected
