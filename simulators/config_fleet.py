"""Config-only simulated units for large runs: the real unit-side configuration code (verify,
fetch, apply, report) and the real MQTT client, without outbox, workflow or heartbeat, so
one process can hold ten thousand of them."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

import httpx
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from edge.config import ArtifactFetcher, ConfigApplier, RunningConfig
from mqttio import AsyncMqttClient, Backoff, BrokerUrl, NotConnected, Received
from protocol import topics
from protocol.topics import Channel


class _Releasing(httpx.AsyncByteStream):
    """A response body that gives its permit back when it is closed."""

    def __init__(self, inner: httpx.AsyncByteStream, gate: asyncio.Semaphore) -> None:
        self._inner = inner
        self._gate: asyncio.Semaphore | None = gate

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self._inner:
            yield chunk

    async def aclose(self) -> None:
        try:
            await self._inner.aclose()
        finally:
            if self._gate is not None:
                self._gate.release()
                self._gate = None


class GatedTransport(httpx.AsyncBaseTransport):
    """At most ``limit`` requests inside the connection pool at once, each holding its permit
    until its body is closed. Thousands of simulated units share one pool here (a real unit
    makes one request at a time), and httpcore rescans every queued request against every
    connection on each change, which is quadratic in the queue; profiling the benchmark
    showed two thirds of this process's time there before this gate."""

    def __init__(self, limit: int) -> None:
        self._inner = httpx.AsyncHTTPTransport(limits=httpx.Limits(max_connections=limit))
        self._gate = asyncio.Semaphore(limit)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await self._gate.acquire()
        try:
            response = await self._inner.handle_async_request(request)
        except BaseException:
            self._gate.release()
            raise
        assert isinstance(response.stream, httpx.AsyncByteStream)
        response.stream = _Releasing(response.stream, self._gate)
        return response

    async def aclose(self) -> None:
        await self._inner.aclose()


class ConfigOnlyUnit:
    def __init__(
        self,
        unit: str,
        broker: BrokerUrl,
        root: Path,
        *,
        key: Ed25519PublicKey,
        hub_url: str,
        http: httpx.AsyncClient,
    ) -> None:
        self.unit = unit
        self.fetcher = ArtifactFetcher(root / unit / "artifacts", hub_url, http, durable=False)
        self.applier = ConfigApplier(
            unit,
            key=key,
            fetcher=self.fetcher,
            config_dir=root / unit / "config",
            publish=self._publish,
            durable=False,
        )
        self.applied_at: dict[int, float] = {}  # version -> time.monotonic() when applied
        self.received_at: list[float] = []  # time.monotonic() of each config message
        self.applier.listeners.append(self._applied)
        self.client = AsyncMqttClient(
            broker,
            client_id=topics.unit_client_id(unit),
            on_message=self._on_message,
            subscriptions=[(topics.topic(unit, Channel.CONFIG), 1)],
            keepalive=120,
            backoff=Backoff(0.5, 10.0),
        )
        self._tasks: list[asyncio.Task[None]] = []

    def _on_message(self, msg: Received) -> None:
        self.received_at.append(time.monotonic())
        self.applier.on_config(msg.payload)

    def _applied(self, running: RunningConfig) -> None:
        self.applied_at[running.version] = time.monotonic()

    def _publish(self, topic: str, payload: bytes, qos: int, retain: bool) -> bool:
        try:
            self.client.publish(topic, payload, qos=qos, retain=retain)
        except NotConnected:
            return False
        return True

    def start(self) -> None:
        self._tasks = [
            asyncio.create_task(self.applier.run(), name=f"config-{self.unit}"),
            asyncio.create_task(self.client.run(), name=f"mqtt-{self.unit}"),
        ]

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            await self.client.stop()
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task


class ConfigFleet:
    def __init__(
        self,
        units: Sequence[tuple[str, str]],
        broker: BrokerUrl,
        root: Path,
        *,
        key: Ed25519PublicKey,
        hub_url: str,
        pools: int = 8,
        connections_per_pool: int = 4,
    ) -> None:
        """``units``: (unit id, broker password) pairs. Units share ``pools`` small HTTP
        connection pools: many small pools beat one big one (see GatedTransport)."""
        self.http = [
            httpx.AsyncClient(timeout=60, transport=GatedTransport(connections_per_pool))
            for _ in range(pools)
        ]
        self.units = [
            ConfigOnlyUnit(
                u,
                broker.with_credentials(u, pw),
                root,
                key=key,
                hub_url=hub_url,
                http=self.http[i % pools],
            )
            for i, (u, pw) in enumerate(units)
        ]

    async def start(self, batch: int = 500) -> None:
        """Start every unit, ``batch`` at a time, so the broker is not hit by one burst."""
        for i, unit in enumerate(self.units):
            unit.start()
            if i % batch == batch - 1:
                await asyncio.sleep(0.05)

    async def wait_connected(self, timeout: float) -> int:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(
                asyncio.gather(*(u.client.wait_connected() for u in self.units)), timeout
            )
        return sum(u.client.connected for u in self.units)

    def applied_times(self, version: int) -> list[float]:
        return sorted(u.applied_at[version] for u in self.units if version in u.applied_at)

    async def close(self) -> None:
        await asyncio.gather(*(u.close() for u in self.units), return_exceptions=True)
        for client in self.http:
            await client.aclose()


async def _serve_job() -> None:
    """One worker process of a multi-process config fleet (bench/rollout.py). Reads a job
    (JSON, one line) on stdin, prints `ready N` once N units are connected, and on a
    `report` line prints their results as JSON and exits."""
    import json
    import sys

    from protocol.signing import public_key_from_text

    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=64 << 20)  # the job lists every unit on one line
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    job = json.loads(await reader.readline())
    fleet = ConfigFleet(
        [(u, pw) for u, pw in job["units"]],
        BrokerUrl("127.0.0.1", job["broker_port"]),
        Path(job["root"]),
        key=public_key_from_text(job["key"]),
        hub_url=job["hub"],
    )
    await fleet.start()
    connected = await fleet.wait_connected(timeout=job.get("connect_timeout", 120))
    print(f"ready {connected}", flush=True)
    await reader.readline()  # "report"
    version = job.get("version", 1)
    result = {
        "applied_at": fleet.applied_times(version),
        "received_at": sorted(u.received_at[0] for u in fleet.units if u.received_at),
        "downloads": sum(u.fetcher.stats.downloads for u in fleet.units),
        "bytes": sum(u.fetcher.stats.bytes_received for u in fleet.units),
        "rejected": sum(u.applier.rejected for u in fleet.units),
    }
    print(json.dumps(result), flush=True)
    await fleet.close()


if __name__ == "__main__":
    asyncio.run(_serve_job())
