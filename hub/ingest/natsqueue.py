"""The units' upstream messages through a NATS queue group, for a hub on a NATS cluster.

A NATS server's MQTT gateway ignores ``$share`` (2.9), so hub processes subscribing over MQTT
would each receive every message. Instead each joins the native queue group ``hub`` on the
subjects the gateway gives our topics (``bianmin.v1.u.*.tx`` ...): NATS hands each message to
one member. That delivery is at most once (a member that dies drops what it held), which the
end-to-end protocol makes safe: a unit forgets an event only when the hub's ack names it, and
resends it otherwise; the hub stores each event once.

As with ``$share`` on Mosquitto, joining the group delivers no retained messages (a unit's
``state``): presence follows the next state or heartbeat.

Back-pressure: pausing leaves the group (draining what the client already holds), so the
other members take the whole load meanwhile; resuming joins again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Sequence

import nats
from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription

from mqttio import Received
from protocol import topics
from protocol.topics import UP_CHANNELS

log = logging.getLogger("bianmin.hub.ingest.nats")

GROUP = topics.SHARE_GROUP
# what one member may hold unread before NATS drops for it (units resend what is dropped)
PENDING_MESSAGES = 100_000


def subjects() -> list[str]:
    """Every up channel of every unit, as NATS subjects."""
    return [topics.nats_subject(topics.subscription(ch)) for ch in UP_CHANNELS]


class NatsQueueSource:
    def __init__(
        self,
        servers: Sequence[str],
        *,
        user: str,
        password: str | None,
        name: str,
        on_message: Callable[[Received], None],
        pending_bytes: int,
        connect_timeout: float = 5.0,
    ) -> None:
        self.servers = list(servers)
        self._user = user
        self._password = password
        self._name = name
        self._on_message = on_message
        self._pending_bytes = pending_bytes
        self._connect_timeout = connect_timeout
        self._nc: NatsClient | None = None
        self._subs: list[Subscription] = []
        self._paused = False
        self._membership = asyncio.Lock()  # one join or leave at a time
        self._stopped = asyncio.Event()
        self.joined = asyncio.Event()  # set while this process is a member of the group
        self.received = 0

    @property
    def connected(self) -> bool:
        return self._nc is not None and self._nc.is_connected

    async def run(self) -> None:
        """Connect (retrying until the first node answers), join the group, and stay until
        stop(); nats-py reconnects to any node and restores the subscriptions by itself."""
        while not self._stopped.is_set():
            try:
                self._nc = await nats.connect(
                    servers=self.servers,
                    user=self._user,
                    password=self._password,
                    name=self._name,
                    connect_timeout=self._connect_timeout,
                    allow_reconnect=True,
                    max_reconnect_attempts=-1,
                    reconnect_time_wait=0.5,
                    error_cb=self._on_error,
                    disconnected_cb=self._on_disconnected,
                    reconnected_cb=self._on_reconnected,
                )
                break
            except (OSError, TimeoutError, nats.errors.Error) as exc:
                log.warning("cannot connect to NATS %s (%s); retrying", self.servers, exc)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopped.wait(), 1.0)
        if self._stopped.is_set():
            return
        if not self._paused:
            await self._join()
        await self._stopped.wait()

    async def stop(self) -> None:
        self._stopped.set()
        nc, self._nc = self._nc, None
        if nc is not None and not nc.is_closed:
            with contextlib.suppress(Exception):  # best effort on the way out
                await nc.close()
        self.joined.clear()

    def pause_reading(self) -> None:
        if not self._paused:
            self._paused = True
            asyncio.get_running_loop().create_task(self._leave())

    def resume_reading(self) -> None:
        if self._paused:
            self._paused = False
            asyncio.get_running_loop().create_task(self._join())

    # -- internals --------------------------------------------------------------------------

    async def _join(self) -> None:
        async with self._membership:
            await self._join_locked()

    async def _join_locked(self) -> None:
        nc = self._nc
        if nc is None or self._subs or self._paused:
            return
        for name in subjects():
            sub = await nc.subscribe(
                name,
                queue=GROUP,
                cb=self._deliver,
                pending_msgs_limit=PENDING_MESSAGES,
                pending_bytes_limit=self._pending_bytes,
            )
            self._subs.append(sub)
        await nc.flush()  # the server has the subscriptions: this process now gets its share
        self.joined.set()

    async def _leave(self) -> None:
        async with self._membership:
            subs, self._subs = self._subs, []
            self.joined.clear()
            for sub in subs:
                # what the client already holds is still delivered, then the membership ends
                with contextlib.suppress(Exception):
                    await sub.drain()  # type: ignore[no-untyped-call]
            if not self._paused:  # resumed while draining
                await self._join_locked()

    async def _deliver(self, msg: Msg) -> None:
        self.received += 1
        # The subject is one of ours by the subscription; parse() then checks the unit id in it.
        self._on_message(Received(topics.topic_of_subject(msg.subject), msg.data, 1, False))

    async def _on_error(self, exc: Exception) -> None:
        log.warning("NATS: %s", exc)

    async def _on_disconnected(self) -> None:
        log.warning("NATS: disconnected; reconnecting to another node")

    async def _on_reconnected(self) -> None:
        nc = self._nc
        where = nc.connected_url.netloc if nc is not None and nc.connected_url else "?"
        log.info("NATS: reconnected to %s", where)
