"""Shared pieces of integration tests: an in-process hub consumer and simulated units."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

from edge.agent import Agent, build_agent
from edge.link import LinkSettings
from edge.settings import EdgeSettings
from hub.db import create_tables, make_engine
from hub.ingest.consumer import IngestConsumer
from hub.settings import HubSettings
from mqttio import Backoff
from simulators.kit import SimulatedKit
from tests.conftest import Broker

FAST_LINK = LinkSettings(ack_timeout_s=2.0, ack_timeout_max_s=4.0, backoff=Backoff(0.1, 1.0))


@contextlib.asynccontextmanager
async def running_hub(broker: Broker, database_url: str) -> AsyncIterator[IngestConsumer]:
    settings = HubSettings(
        database_url=database_url,
        broker_url=str(broker.url),
        broker_password=broker.creds.hub_password,
    )
    engine = make_engine(database_url)
    create_tables(engine)
    url = settings.broker()
    assert url is not None
    consumer = IngestConsumer(settings, engine, url)
    task = asyncio.create_task(consumer.run())
    try:
        await asyncio.wait_for(consumer.client.wait_subscribed(), 10)
        yield consumer
    finally:
        await consumer.stop()
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        engine.dispose()


def unit_agent(broker: Broker, unit: str, root: Path, link: LinkSettings = FAST_LINK) -> Agent:
    settings = EdgeSettings(
        unit_id=unit,
        broker_url=str(broker.url),
        broker_password=broker.creds.password_for(unit),
        data_dir=root / unit,
        event_rate=0,
        durable=False,
    )
    return build_agent(settings, kit=SimulatedKit(settings), link_settings=link)
