"""Client ids are bound to usernames: a unit connects only with the id derived from its own
username, so it can neither push another unit off the broker nor make the hub's ingest flap;
and hub processes never share an id, so two of them do not take each other over."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import pytest

from hub.db import create_tables, make_engine
from hub.ingest.consumer import IngestConsumer
from hub.settings import HubSettings
from protocol import topics
from protocol.topics import Channel
from tests.support.aio import async_test
from tests.support.brokers import KINDS, ServedBroker, connected, listener, serving, try_connect
from tests.support.waiting import eventually

pytestmark = pytest.mark.integration
UNITS = ["t001", "t002"]


@pytest.mark.parametrize("who", ["another unit", "anyone with a wrong password"])
@pytest.mark.parametrize("kind", KINDS)
@async_test
async def test_a_connection_claiming_a_units_client_id_is_refused_and_the_unit_stays(
    kind, who, tmp_path
):
    """GIVEN t002 connected and subscribed WHEN another unit, or anyone with a wrong password,
    connects with t002's client id, again and again THEN each attempt is refused, t002 was
    never disconnected, and its subscription still delivers (amqtt used to drop the victim's
    subscriptions before checking any password)."""
    async with serving(kind, UNITS, tmp_path) as broker:
        config = topics.topic("t002", Channel.CONFIG)
        victim = listener(broker.unit_url("t002"), topics.unit_client_id("t002"), [config])
        hub = listener(broker.hub_url, "hub-test-sender", [])
        attacker = (
            broker.unit_url("t001")
            if who == "another unit"
            else broker.url.with_credentials("t002", "wrong")
        )
        async with connected(victim, hub):
            for _ in range(3):
                attempt = await try_connect(attacker, topics.unit_client_id("t002"))
                assert attempt.connections == 0
                assert attempt.last_error is not None
            hub.client.publish(config, b"still yours")
            await eventually(lambda: victim.got, 5, "the victim's config")
            assert victim.client.connected
            assert victim.client.connections == 1


@pytest.mark.parametrize("kind", KINDS)
@async_test
async def test_a_unit_may_connect_only_with_the_client_id_derived_from_its_username(kind, tmp_path):
    async with serving(kind, UNITS, tmp_path) as broker:
        for client_id in ["t001", "intruder", "unit-t0011", topics.unit_client_id("t002")]:
            attempt = await try_connect(broker.unit_url("t001"), client_id)
            assert attempt.connections == 0, client_id
        own = await try_connect(broker.unit_url("t001"), topics.unit_client_id("t001"))
        assert own.connections == 1


@contextlib.asynccontextmanager
async def ingesting(
    broker: ServedBroker, tmp_path, count: int = 1
) -> AsyncIterator[list[IngestConsumer]]:
    """``count`` real ingest consumers of one hub, all under the same instance name."""
    settings = HubSettings(
        database_url=f"sqlite:///{tmp_path / 'hub.db'}",
        broker_url=str(broker.url),
        broker_password=broker.creds.hub_password,
        shared_subscription=broker.shared_subscriptions,
    )
    engine = make_engine(settings.database_url)
    create_tables(engine)
    url = settings.broker()
    assert url is not None
    consumers = [IngestConsumer(settings, engine, url) for _ in range(count)]
    tasks = [asyncio.create_task(c.run()) for c in consumers]
    try:
        waits = [c.client.wait_subscribed() for c in consumers]
        await asyncio.wait_for(asyncio.gather(*waits), 10)
        yield consumers
    finally:
        for consumer in consumers:
            await consumer.stop()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        engine.dispose()


@pytest.mark.parametrize("kind", KINDS)
@async_test
async def test_the_hubs_ingest_does_not_flap_when_a_unit_takes_its_client_id(kind, tmp_path):
    async with serving(kind, UNITS, tmp_path) as broker, ingesting(broker, tmp_path) as (ingest,):
        for _ in range(5):
            attempt = await try_connect(broker.unit_url("t001"), ingest.client.client_id)
            assert attempt.connections == 0
        await asyncio.sleep(0.5)
        assert ingest.client.connected
        assert ingest.client.connections == 1


@pytest.mark.parametrize("kind", KINDS)
@async_test
async def test_two_ingest_processes_of_one_hub_instance_do_not_take_each_other_over(kind, tmp_path):
    async with serving(kind, UNITS, tmp_path) as broker, ingesting(broker, tmp_path, 2) as pair:
        assert pair[0].client.client_id != pair[1].client.client_id
        await asyncio.sleep(1.5)
        assert [c.client.connections for c in pair] == [1, 1]
