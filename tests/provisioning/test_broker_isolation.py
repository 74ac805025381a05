"""Every unit against every topic that is not its own, on Mosquitto and on the embedded broker:
a unit subscribes to nothing but its own down channels (wildcards, the hub's share group,
$SYS and $CONTROL included) and publishes nowhere but its own up channels. Each case is
checked twice: by the broker's answer (SUBACK) and by what reaches the clients that would
care, which must be only the legitimate control messages sent alongside."""

from __future__ import annotations

import asyncio
import json

import pytest

from protocol import topics
from protocol.topics import DOWN_CHANNELS, ROOT, UP_CHANNELS, Channel
from tests.support.aio import async_test
from tests.support.brokers import KINDS, connected, listener, serving, try_connect

pytestmark = pytest.mark.integration
UNITS = ["t001", "t002", "t003"]
FORGED = b"forged"
CONTROL_TOPIC = "$CONTROL/dynamic-security/v1"
SMUGGLED_USER = "smuggled"


def own_down(unit: str) -> list[str]:
    return [topics.topic(unit, ch) for ch in DOWN_CHANNELS]


def foreign_filters(unit: str) -> list[str]:
    """Every filter ``unit`` must be refused: each channel of every unit except its own down
    channels, the root's wildcards, the hub's share group and the broker's own trees."""
    mine = set(own_down(unit))
    filters = [topics.topic(u, ch) for u in UNITS for ch in Channel]
    filters = [f for f in filters if f not in mine]
    filters += [topics.subscription(ch) for ch in Channel]  # bianmin/v1/u/+/<channel>
    filters += [f"{ROOT}/#", f"{ROOT}/{unit}/#", "#", "+/+/+/+/+", "$SYS/#", "$CONTROL/#"]
    filters += [topics.shared(topics.subscription(ch)) for ch in UP_CHANNELS]
    filters += [topics.shared(topics.topic(u, ch)) for u in UNITS for ch in UP_CHANNELS]
    filters += [topics.shared(f) for f in mine]  # its own down channels, but through a group
    filters += [topics.shared(topics.subscription(Channel.TX), group="other")]
    return filters


def forged_topics(unit: str) -> list[str]:
    """Every topic ``unit`` must not publish to: each channel of the other units and its own
    down channels (a unit forging its own config or acks)."""
    mine_up = {topics.topic(unit, ch) for ch in UP_CHANNELS}
    return [
        topics.topic(u, ch) for u in UNITS for ch in Channel if topics.topic(u, ch) not in mine_up
    ]


@pytest.mark.parametrize("kind", KINDS)
@async_test
async def test_a_unit_is_refused_every_subscription_but_its_own_down_channels(kind, tmp_path):
    async with serving(kind, UNITS, tmp_path) as broker:
        units = {
            u: listener(
                broker.unit_url(u), topics.unit_client_id(u), own_down(u) + foreign_filters(u)
            )
            for u in UNITS
        }
        hub = listener(broker.hub_url, "hub-test-sender", [])
        async with connected(hub, *units.values()):
            for u, probe in units.items():
                assert sorted(probe.client.refused_subscriptions) == sorted(foreign_filters(u)), u
            for u in UNITS:  # traffic on every topic: up channels from each unit, down from the hub
                for ch in UP_CHANNELS:
                    units[u].client.publish(topics.topic(u, ch), f"{u}:{ch}".encode())
                for ch in DOWN_CHANNELS:
                    hub.client.publish(topics.topic(u, ch), f"{u}:{ch}".encode())
            await asyncio.sleep(1.0)
        for u, probe in units.items():
            assert sorted(probe.topics()) == sorted(own_down(u)), f"{u} read beyond its own"


@pytest.mark.parametrize("kind", KINDS)
@async_test
async def test_a_unit_publishes_nowhere_but_its_own_up_channels(kind, tmp_path):
    async with serving(kind, UNITS, tmp_path) as broker:
        hub = listener(broker.hub_url, "hub-test-watch", [f"{ROOT}/#"])
        units = {
            u: listener(broker.unit_url(u), topics.unit_client_id(u), own_down(u)) for u in UNITS
        }
        async with connected(hub, *units.values()):
            for u, probe in units.items():
                for t in forged_topics(u):
                    probe.client.publish(t, FORGED)
                    probe.client.publish(t, FORGED, retain=True)
                for ch in UP_CHANNELS:  # the control: its own up channels do arrive
                    probe.client.publish(topics.topic(u, ch), b"own")
            await asyncio.sleep(1.0)
            # Last, as amqtt closes the connection of a client that publishes to a $ topic:
            # a unit asking the broker's admin API for a client of its own.
            command = {"command": "createClient", "username": SMUGGLED_USER, "password": "x"}
            for probe in units.values():
                probe.client.publish(CONTROL_TOPIC, json.dumps({"commands": [command]}).encode())
            await asyncio.sleep(0.5)
        seen = [(m.topic, m.payload) for p in [hub, *units.values()] for m in p.got]
        assert [s for s in seen if s[1] == FORGED] == []
        own = {(topics.topic(u, ch), b"own") for u in UNITS for ch in UP_CHANNELS}
        assert {s for s in seen if s[1] == b"own"} == own
        smuggled = await try_connect(broker.url.with_credentials(SMUGGLED_USER, "x"), "smuggler")
        assert smuggled.connections == 0


@pytest.mark.parametrize("kind", KINDS)
@async_test
async def test_a_wrong_password_is_refused(kind, tmp_path):
    async with serving(kind, UNITS, tmp_path) as broker:
        wrong = await try_connect(
            broker.url.with_credentials("t001", "wrong"), topics.unit_client_id("t001")
        )
        assert wrong.connections == 0
        assert wrong.last_error is not None
