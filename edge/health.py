"""The unit's heartbeat on `health`: devices, event-log depth and alarm, config version, the
config schema it reads and the hub keys it trusts (the hub builds its config and judges key
rotations from them), versions."""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable

from edge.eventlog import EventLog
from edge.link import UnitLink
from lifecycle import version
from protocol import PROTOCOL_VERSION, topics
from protocol.config import CONFIG_SCHEMA_VERSION
from protocol.messages import DeviceStatus, Health, TrustReport, encode, utc_now
from protocol.topics import Channel

# Sync for fixed statuses (the simulated fleet), async for a real device bundle, whose status
# calls run in worker threads with a deadline (edge.devices.health).
DeviceProbe = Callable[[], dict[str, DeviceStatus] | Awaitable[dict[str, DeviceStatus]]]


class HealthReporter:
    def __init__(
        self,
        unit: str,
        event_log: EventLog,
        link: UnitLink,
        devices: DeviceProbe,
        config_version: Callable[[], int | None] = lambda: None,
        on_beat: Callable[[Health, bool], None] | None = None,
        trust: Callable[[], TrustReport | None] = lambda: None,
    ) -> None:
        self.unit = unit
        self.event_log = event_log
        self.link = link
        self.devices = devices
        self.config_version = config_version
        # told of every heartbeat and whether it went out (a version on trial proves itself)
        self.on_beat = on_beat
        self.trust = trust
        self._started = time.monotonic()
        self._topic = topics.topic(unit, Channel.HEALTH)

    def snapshot(self, devices: dict[str, DeviceStatus] | None = None) -> Health:
        if devices is None:
            found = self.devices()
            if inspect.isawaitable(found):
                raise TypeError("an async device probe needs snapshot_async()")
            devices = found
        return Health(
            ts=utc_now(),
            uptime_s=round(time.monotonic() - self._started, 1),
            outbox=self.event_log.health(),
            config_version=self.config_version(),
            config_schema=CONFIG_SCHEMA_VERSION,
            trust=self.trust(),
            versions={"agent": version(), "protocol": str(PROTOCOL_VERSION)},
            devices=devices,
        )

    async def snapshot_async(self) -> Health:
        found = self.devices()
        devices = await found if inspect.isawaitable(found) else found
        return self.snapshot(devices)

    def publish(self) -> bool:
        # QoS 0: a lost heartbeat is replaced by the next one; no point queueing stale ones.
        return self.link.publish(self._topic, encode(self.snapshot()), qos=0)

    async def publish_async(self) -> bool:
        health = await self.snapshot_async()
        published = self.link.publish(self._topic, encode(health), qos=0)
        if self.on_beat is not None:
            self.on_beat(health, published)
        return published

    async def run(self, interval_s: float | Callable[[], float]) -> None:
        """Beat every ``interval_s`` seconds; a callable is asked each time, so a new
        configuration can change the period without a restart."""
        await self.link.client.wait_connected()
        while True:
            await self.publish_async()
            await asyncio.sleep(interval_s() if callable(interval_s) else interval_s)
