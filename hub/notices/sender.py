"""The `cmd` sender: a loop in every hub process that ingests, publishing the due case notices
(hub.notices.outbox) and operator commands (hub.commands.outbox) on each unit's `cmd` topic
(QoS 1, not retained) through the process's MQTT connection.

It keeps no state of its own: what is due comes from the database (hub.notices.outbox), so a
restarted hub carries on, and two processes at worst publish a notice twice, which the unit
stores once. It wakes when a notice is issued in this process, when units come online (ingest
reads their presence), and on a tick for everything else.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine

from hub.commands import outbox as commands
from hub.loops import TickLoop
from hub.notices.outbox import claim_due, unsent
from hub.notices.resend import Due
from hub.settings import HubSettings
from mqttio import AsyncMqttClient, NotConnected
from protocol import topics
from protocol.topics import Channel

log = logging.getLogger("bianmin.hub.notices")


@dataclass
class SenderStats:
    published: int = 0
    passes: int = 0
    errors: int = 0


def notice_sender(settings: HubSettings, engine: Engine, consumer: Any) -> NoticeSender:
    """The sender of an ingesting process, on its consumer's connection, told by the consumer
    when units come online."""
    sender = NoticeSender(
        engine, consumer.client, tick_s=settings.notice_tick_s,
        first_after_s=settings.notice_republish_s, max_after_s=settings.notice_republish_max_s,
    )  # fmt: skip
    consumer.on_online.append(sender.came_online)
    return sender


class NoticeSender(TickLoop):
    def __init__(
        self,
        engine: Engine,
        client: AsyncMqttClient,
        *,
        tick_s: float = 5.0,
        first_after_s: float = 30.0,
        max_after_s: float = 900.0,
    ) -> None:
        super().__init__(tick_s)
        self.engine = engine
        self.client = client
        self.first_after_s = first_after_s
        self.max_after_s = max_after_s
        self.stats = SenderStats()
        self._online: set[str] = set()

    def came_online(self, units: Iterable[str]) -> None:
        """These units just connected: everything they are owed goes out again."""
        self._online.update(units)
        if self._online:
            self.wake()

    async def run(self) -> None:
        while await self.next_pass():
            if not self.client.connected:
                continue
            online, self._online = self._online, set()
            try:
                due = await asyncio.to_thread(self._claim, online)
            except Exception:
                self.stats.errors += 1
                self._online |= online
                log.exception("claiming due notices failed; trying again")
                continue
            self.stats.passes += 1
            left = self._publish(due)
            if left:
                await asyncio.to_thread(self._unsent, [d.id for d in left])
            elif len(due) >= 100:
                self.wake()  # maybe more are due: come back at once

    def _claim(self, online: set[str]) -> list[Due]:
        now = datetime.now(UTC)
        with self.engine.begin() as conn:
            due = claim_due(
                conn, now=now, online=online,
                first_after_s=self.first_after_s, max_after_s=self.max_after_s,
            )  # fmt: skip
            ordered = commands.claim_due(
                conn, now=now, online=online,
                first_after_s=self.first_after_s, max_after_s=self.max_after_s,
            )  # fmt: skip
        return due + [Due(c.id, c.unit, c.document) for c in ordered]

    def _unsent(self, ids: list[uuid.UUID]) -> None:
        with self.engine.begin() as conn:
            unsent(conn, ids, datetime.now(UTC))
            commands.unsent(conn, ids, datetime.now(UTC))

    def _publish(self, due: list[Due]) -> list[Due]:
        """Hand the notices to the client; return those it would not take (disconnected)."""
        for i, notice in enumerate(due):
            try:
                self.client.publish(
                    topics.topic(notice.unit, Channel.CMD), notice.document, qos=1, retain=False
                )
            except NotConnected:
                return due[i:]
            self.stats.published += 1
        return []
