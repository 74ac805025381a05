"""The hub's ingest consumer on a real broker, and units as bare MQTT clients with their own
credentials that publish what a test gives them and record the hub's acks: so a test sees
exactly what a unit would, a well-behaved one or a hostile one."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import uuid
from collections.abc import AsyncIterator, Callable, Collection, Sequence
from typing import Any

from sqlalchemy import Engine, func, select

from hub.ingest.consumer import IngestConsumer
from hub.ingest.intake import Intake, take
from hub.models import Event
from hub.settings import HubSettings
from mqttio import AsyncMqttClient, Received
from protocol import topics
from protocol.messages import Ack, decode, encode
from protocol.topics import Channel
from tests.conftest import Broker
from tests.support.builders import NOW, tx_batch

EVENTS = Event.__table__  # type: ignore[attr-defined]
BAD = "t009"  # the unit whose events take_with_poison spoils


def take_with_poison(messages: Sequence[Received], now: Any = NOW, **options: Any) -> Intake:
    """The intake, then BAD's events get a sequence number of 2^63, which no database stores:
    a value the database refuses at commit, put past the protocol's bounds on purpose."""
    intake = take(messages, now, **options)
    events = intake.batch.events
    for event_id, row in events.items():
        if row.unit == BAD:
            events[event_id] = dataclasses.replace(row, seq=2**63)
    return intake


class BareUnit:
    """A unit's MQTT side: publishes its tx batches, records the ids of every ack."""

    def __init__(self, broker: Broker, unit_id: str) -> None:
        self.id = unit_id
        self.acks: list[list[uuid.UUID]] = []
        self.on_ack: Callable[[list[uuid.UUID]], None] | None = None
        self.client = AsyncMqttClient(
            broker.unit_url(unit_id),
            client_id=topics.unit_client_id(unit_id),
            on_message=self._ack,
            subscriptions=[(topics.topic(unit_id, Channel.ACK), 1)],
        )

    def _ack(self, msg: Any) -> None:
        ids = list(decode(Ack, msg.payload).ids)
        if self.on_ack is not None:
            self.on_ack(ids)
        self.acks.append(ids)

    @property
    def acked(self) -> set[uuid.UUID]:
        return {i for ids in self.acks for i in ids}

    def send(self, payload: bytes, channel: Channel = Channel.TX) -> None:
        self.client.publish(topics.topic(self.id, channel), payload, qos=1)

    def send_batch(self, n: int = 3, seq0: int = 1) -> set[uuid.UUID]:
        batch = tx_batch(self.id, n=n, seq0=seq0)
        self.send(encode(batch))
        return {e.id for e in batch.events}


def stored(engine: Engine, ids: Collection[uuid.UUID]) -> int:
    with engine.connect() as conn:
        query = select(func.count()).select_from(EVENTS).where(EVENTS.c.id.in_(list(ids)))
        return int(conn.execute(query).scalar_one())


@contextlib.asynccontextmanager
async def running(
    broker: Broker, engine: Engine, database_url: str, unit_ids: list[str], **overrides: Any
) -> AsyncIterator[tuple[IngestConsumer, asyncio.Task[None], list[BareUnit]]]:
    """A consumer and the given units, connected and subscribed; stopped afterwards."""
    settings = HubSettings(
        database_url=database_url,
        broker_url=str(broker.url),
        broker_password=broker.creds.hub_password,
        **overrides,
    )
    url = settings.broker()
    assert url is not None
    consumer = IngestConsumer(settings, engine, url)
    units = [BareUnit(broker, u) for u in unit_ids]
    run = asyncio.create_task(consumer.run())
    tasks = [run, *(asyncio.create_task(u.client.run()) for u in units)]
    try:
        waits = [consumer.client.wait_subscribed(), *(u.client.wait_subscribed() for u in units)]
        await asyncio.wait_for(asyncio.gather(*waits), 10)
        yield consumer, run, units
    finally:
        await consumer.stop()
        for unit in units:
            await unit.client.stop()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
