"""A hostile unit beside a real ingest consumer: the unit's own MQTT client, free to send
whatever it likes on its own topics."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

from sqlalchemy import Engine

from hub.ingest.consumer import IngestConsumer
from hub.settings import HubSettings
from mqttio import AsyncMqttClient
from protocol import topics
from protocol.topics import Channel, unit_client_id
from tests.conftest import Broker

UNIT = "t190"
TX = topics.topic(UNIT, Channel.TX)


@contextlib.asynccontextmanager
async def hostile_unit(
    broker: Broker, database_url: str, engine: Engine, **settings: Any
) -> AsyncIterator[tuple[IngestConsumer, AsyncMqttClient]]:
    """A subscribed ingest consumer, and the unit's own MQTT client to send what it likes."""
    config = HubSettings(
        database_url=database_url,
        broker_url=str(broker.url),
        broker_password=broker.creds.hub_password,
        **settings,
    )
    url = config.broker()
    assert url is not None
    consumer = IngestConsumer(config, engine, url)
    unit = AsyncMqttClient(
        broker.unit_url(UNIT), client_id=unit_client_id(UNIT), on_message=lambda _msg: None
    )
    tasks = [asyncio.create_task(consumer.run()), asyncio.create_task(unit.run())]
    try:
        waits = asyncio.gather(consumer.client.wait_subscribed(), unit.wait_connected())
        await asyncio.wait_for(waits, 10)
        yield consumer, unit
    finally:
        await consumer.stop()
        await unit.stop()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
