"""Either broker a deployment may run, started the same way for tests that must hold on both:
Mosquitto (a process of the test's own) and the embedded amqtt broker (in the test's loop)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from mqttio import AsyncMqttClient, Backoff, BrokerUrl, ClientTls, Received
from protocol.topics import HUB_USER
from provisioning import credentials
from provisioning.credentials import Credentials
from provisioning.embedded_broker import EmbeddedBroker
from provisioning.mosquitto import MosquittoConfig, MosquittoProcess, free_port, mosquitto_binary

KINDS = ["mosquitto", "embedded"]
FAST = Backoff(0.2, 1.0)


def require_mosquitto() -> None:
    """Skip without Mosquitto on a developer's machine, fail in CI (tests/conftest.py)."""
    if mosquitto_binary() is None:
        from tests.conftest import _require

        _require("Mosquitto", "the mosquitto binary is not installed (apt-get install mosquitto)")


@dataclass
class ServedBroker:
    kind: str
    url: BrokerUrl
    creds: Credentials

    @property
    def shared_subscriptions(self) -> bool:
        """amqtt has none: a hub on it subscribes plainly (docs/protocol.md)."""
        return self.kind == "mosquitto"

    @property
    def hub_url(self) -> BrokerUrl:
        return self.url.with_credentials(HUB_USER, self.creds.hub_password)

    def unit_url(self, unit: str) -> BrokerUrl:
        return self.url.with_credentials(unit, self.creds.password_for(unit))


@contextlib.asynccontextmanager
async def serving(kind: str, units: list[str], data_dir: Path) -> AsyncIterator[ServedBroker]:
    """A broker of ``kind`` with credentials for ``units``, stopped on the way out."""
    creds = credentials.generate(units)
    if kind == "embedded":
        server = EmbeddedBroker(free_port(), creds)
        await server.start()
        try:
            yield ServedBroker(kind, BrokerUrl.parse(server.url), creds)
        finally:
            await server.stop()
        return
    require_mosquitto()
    process = MosquittoProcess(
        MosquittoConfig(data_dir=data_dir, port=free_port(), credentials=creds)
    )
    await asyncio.to_thread(process.start)
    try:
        yield ServedBroker(kind, BrokerUrl(process.config.host, process.config.port), creds)
    finally:
        await asyncio.to_thread(process.stop)


@dataclass
class Listener:
    """A client that records what it receives, as (topic, payload)."""

    client: AsyncMqttClient
    got: list[Received] = field(default_factory=list)
    task: asyncio.Task[None] | None = None

    def topics(self) -> list[str]:
        return [m.topic for m in self.got]


def listener(
    url: BrokerUrl,
    client_id: str,
    filters: Iterable[str],
    keep: Callable[[Received], bool] | None = None,
) -> Listener:
    """A client subscribed to ``filters`` (QoS 1); ``keep`` drops what the test does not count
    (e.g. retained messages from earlier runs)."""
    got: list[Received] = []

    def on_message(msg: Received) -> None:
        if keep is None or keep(msg):
            got.append(msg)

    client = AsyncMqttClient(
        url,
        client_id=client_id,
        on_message=on_message,
        subscriptions=[(f, 1) for f in filters],
        backoff=FAST,
    )
    return Listener(client, got)


async def try_connect(
    url: BrokerUrl, client_id: str, timeout: float = 5, tls: ClientTls | None = None
) -> AsyncMqttClient:
    """Connect once (no retry) and disconnect; the returned client says whether the broker
    accepted it (``connections``) and why not (``last_error``)."""
    client = AsyncMqttClient(
        url, client_id=client_id, on_message=lambda m: None, backoff=Backoff(60, 60), tls=tls
    )
    task = asyncio.create_task(client.run())
    deadline = asyncio.get_running_loop().time() + timeout
    while not (client.connections or client.last_error):
        if asyncio.get_running_loop().time() > deadline:
            break
        await asyncio.sleep(0.02)
    await client.stop()
    await asyncio.gather(task, return_exceptions=True)
    return client


@contextlib.asynccontextmanager
async def connected(*listeners: Listener, timeout: float = 10) -> AsyncIterator[None]:
    """Run the listeners until each has its SUBACK; stop them on the way out."""
    for item in listeners:
        item.task = asyncio.create_task(item.client.run())
    try:
        waits = [item.client.wait_subscribed() for item in listeners]
        await asyncio.wait_for(asyncio.gather(*waits), timeout)
        yield
    finally:
        for item in listeners:
            await item.client.stop()
        tasks = [item.task for item in listeners if item.task is not None]
        await asyncio.gather(*tasks, return_exceptions=True)
