"""The probe from issue 10: units joining the hub's share group took their round-robin share of
every unit's messages, the broker refused them delivery, and the hub never got those
messages (30 of 60 with one such connection, 10 of 60 with five). Now only the hub's user
may join the group, so the hub gets all of them."""

from __future__ import annotations

import asyncio
import contextlib

import pytest

from protocol import topics
from protocol.topics import Channel
from tests.support.aio import async_test
from tests.support.brokers import KINDS, connected, listener, serving
from tests.support.waiting import eventually

pytestmark = pytest.mark.integration
VICTIM = "t000"
PROBED = [Channel.STATE, Channel.HEALTH, Channel.CONFIG_REPORTED, Channel.TX]
MESSAGES = 60


@pytest.mark.parametrize("hijackers", [1, 5])
@pytest.mark.parametrize("kind", KINDS)
@async_test
async def test_the_hub_gets_every_message_while_units_try_to_join_its_share_group(
    kind, hijackers, tmp_path
):
    intruders = [f"t{n:03d}" for n in range(1, hijackers + 1)]
    async with serving(kind, [VICTIM, *intruders], tmp_path) as broker:
        # what the hub's ingest subscribes to (hub/ingest/consumer.py), shared where it can be
        plain = [topics.subscription(ch) for ch in Channel if ch.upstream]
        group = [topics.shared(f) for f in plain]
        filters = group if broker.shared_subscriptions else plain
        hub = listener(broker.hub_url, "hub-test-ingest", filters, keep=lambda m: not m.retain)
        grabs = [listener(broker.unit_url(u), topics.unit_client_id(u), group) for u in intruders]
        victim = listener(broker.unit_url(VICTIM), topics.unit_client_id(VICTIM), [])
        async with connected(hub, victim, *grabs):
            for n in range(MESSAGES):
                channel = PROBED[n % len(PROBED)]
                victim.client.publish(topics.topic(VICTIM, channel), f"{n}".encode(), qos=1)
                await asyncio.sleep(0.005)
            # a lost message never comes: wait for all, then count what came
            with contextlib.suppress(AssertionError):
                await eventually(lambda: len(hub.got) >= MESSAGES, 5, "the hub's messages")
            await asyncio.sleep(0.3)
        received = sorted(int(m.payload) for m in hub.got)
        assert received == list(range(MESSAGES)), f"the hub got {len(received)} of {MESSAGES}"
        for grab in grabs:
            assert grab.got == []
