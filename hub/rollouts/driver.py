"""The rollout driver in `hub serve`: a loop that runs the database steps and publishes the
signed configs, retained, through the hub's MQTT connection.

It keeps no state of its own: everything it decides comes from the database, so a restarted
hub carries on where the last one stopped, and a second `hub serve` driving at the same time
finds the work already claimed. Ingest processes never drive; they only record reports.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Engine

from hub.commands.revocation import revoked_units
from hub.rollouts.issue import Publication
from hub.rollouts.sweeps import mark_unpublished
from hub.rollouts.tick import step
from hub.signing.store import HubKeys
from mqttio import AsyncMqttClient, NotConnected
from protocol import topics
from protocol.topics import Channel

log = logging.getLogger("bianmin.hub.rollouts")
_YIELD_EVERY = 500  # publications between yields to the event loop (ingest shares it)
# Reports wake the driver after every ingest batch; stepping more often than this only
# repeats the same counting queries while a stage is still filling up.
MIN_STEP_INTERVAL_S = 0.1


@dataclass
class DriverStats:
    ticks: int = 0
    published: int = 0
    publish_failures: int = 0
    errors: int = 0


class RolloutDriver:
    def __init__(
        self,
        engine: Engine,
        key: Ed25519PrivateKey | HubKeys,
        client: AsyncMqttClient,
        *,
        tick_s: float = 1.0,
        republish_after_s: float = 120.0,
    ) -> None:
        self.engine = engine
        self.key = key
        self.client = client
        self.tick_s = tick_s
        self.republish_after_s = republish_after_s
        self.stats = DriverStats()
        self._wake = asyncio.Event()

    def wake(self) -> None:
        """Something changed (a rollout was created or resumed, reports arrived): look now."""
        self._wake.set()

    async def run(self) -> None:
        last_full = 0.0
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.tick_s)
            await asyncio.sleep(MIN_STEP_INTERVAL_S)  # let a burst of wake-ups coalesce
            self._wake.clear()
            if not self.client.connected:
                continue
            full = time.monotonic() - last_full >= self.tick_s
            if full:
                last_full = time.monotonic()
            try:
                publications = await asyncio.to_thread(
                    step,
                    self.engine,
                    self.key,
                    republish_after_s=self.republish_after_s,
                    full=full,
                )
            except Exception:
                self.stats.errors += 1
                log.exception("rollout step failed; trying again")
                await asyncio.sleep(self.tick_s)
                continue
            self.stats.ticks += 1
            if publications:  # a revoked unit's retained config stays cleared
                revoked = await asyncio.to_thread(revoked_units, self.engine)
                publications = [p for p in publications if p.unit not in revoked]
            unsent = await self.publish(publications)
            if unsent:
                await asyncio.to_thread(mark_unpublished, self.engine, unsent)
            elif publications:
                self._wake.set()  # a stage is issued in chunks: come back for the next one

    async def publish(self, publications: list[Publication]) -> list[str]:
        """Publish retained; return the units whose config could not be handed to the client."""
        for i, pub in enumerate(publications):
            try:
                self.client.publish(
                    topics.topic(pub.unit, Channel.CONFIG), pub.payload, qos=1, retain=True
                )
            except NotConnected:
                self.stats.publish_failures += len(publications) - i
                return [p.unit for p in publications[i:]]
            self.stats.published += 1
            if i % _YIELD_EVERY == _YIELD_EVERY - 1:
                await asyncio.sleep(0)
        return []
