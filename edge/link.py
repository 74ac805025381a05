"""The unit's link to the hub: sends outbox events in batches and forgets them only when the
hub's `ack` names them.

- batches of up to ``batch_max_events`` events per MQTT message, oldest first (seq order);
- a bounded window of events in flight;
- events unacknowledged after ``ack_timeout_s`` are sent again; the timeout doubles while acks
  stay away (a struggling hub is not buried in resends) and resets on the next ack;
- after every reconnect everything in flight is sent again;
- presence: ``state`` online (retained) on connect, offline as the MQTT last will.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from edge.outbox import Outbox
from mqttio import AsyncMqttClient, Backoff, BrokerUrl, Received
from mqttio.client import NotConnected, Will
from protocol import topics
from protocol.errors import ProtocolError
from protocol.messages import Ack, State, decode, encode, frame_tx_batch, utc_now
from protocol.topics import Channel

log = logging.getLogger("bianmin.edge.link")


@dataclass(frozen=True)
class LinkSettings:
    batch_max_events: int = 100
    batch_max_bytes: int = 128 * 1024
    max_in_flight_events: int = 1000
    ack_timeout_s: float = 10.0
    ack_timeout_max_s: float = 120.0
    keepalive_s: int = 30
    backoff: Backoff = field(default_factory=Backoff)


@dataclass
class LinkStats:
    messages_sent: int = 0
    events_sent: int = 0
    events_resent: int = 0
    events_acked: int = 0
    bad_downlink: int = 0


DownlinkHandler = Callable[[bytes], None]


class UnitLink:
    def __init__(
        self,
        unit: str,
        outbox: Outbox,
        url: BrokerUrl,
        settings: LinkSettings | None = None,
        *,
        on_config: DownlinkHandler | None = None,
        on_command: DownlinkHandler | None = None,
        tls_ca_file: str | None = None,
    ) -> None:
        self.unit = unit
        self.outbox = outbox
        self.settings = settings or LinkSettings()
        self.stats = LinkStats()
        self._on_config = on_config
        self._on_command = on_command
        self._tx_topic = topics.topic(unit, Channel.TX)
        self._state_topic = topics.topic(unit, Channel.STATE)
        self._ack_timeout = self.settings.ack_timeout_s
        self._pump_scheduled = False
        # set while the outbox is empty: everything committed has been acknowledged
        self.drained = asyncio.Event()
        if outbox.depth == 0:
            self.drained.set()
        self.client = AsyncMqttClient(
            url,
            client_id=f"unit-{unit}",
            on_message=self._on_message,
            subscriptions=[
                (topics.topic(unit, Channel.ACK), 1),
                (topics.topic(unit, Channel.CONFIG), 1),
                (topics.topic(unit, Channel.CMD), 1),
            ],
            on_connect=self._on_connect,
            will=Will(self._state_topic, encode(State(online=False)), qos=1, retain=True),
            keepalive=self.settings.keepalive_s,
            backoff=self.settings.backoff,
            tls_ca_file=tls_ca_file,
        )

    async def run(self) -> None:
        timer = asyncio.create_task(self._resend_timer())
        try:
            await self.client.run()
        finally:
            timer.cancel()

    async def stop(self) -> None:
        """Orderly shutdown: say offline ourselves (a clean DISCONNECT skips the last will)."""
        if self.client.connected:
            self.publish(self._state_topic, encode(State(online=False, ts=utc_now())), retain=True)
        await self.client.stop()

    def notify(self) -> None:
        """New events were committed: send them soon (coalesced into one pump per loop turn)."""
        self.drained.clear()
        if not self._pump_scheduled:
            self._pump_scheduled = True
            asyncio.get_running_loop().call_soon(self._pump)

    def publish(self, topic: str, payload: bytes, qos: int = 1, retain: bool = False) -> bool:
        """Publish a non-outbox message (health, reports); False when offline."""
        try:
            self.client.publish(topic, payload, qos=qos, retain=retain)
        except NotConnected:
            return False
        return True

    # -- internals --------------------------------------------------------------------------

    def _on_connect(self) -> None:
        self.publish(self._state_topic, encode(State(online=True, ts=utc_now())), retain=True)
        resent = self.outbox.requeue_all()
        self.stats.events_resent += resent
        self._ack_timeout = self.settings.ack_timeout_s
        self._pump()

    def _pump(self) -> None:
        self._pump_scheduled = False
        s = self.settings
        while self.client.connected and self.outbox.in_flight < s.max_in_flight_events:
            room = min(s.batch_max_events, s.max_in_flight_events - self.outbox.in_flight)
            batch = self.outbox.next_batch(room, s.batch_max_bytes)
            if not batch:
                return
            # Marked before publishing: if the link dies now, the reconnect resends them.
            self.outbox.mark_sent(batch)
            payload = frame_tx_batch(e.payload for e in batch)
            try:
                self.client.publish(self._tx_topic, payload, qos=1)
            except NotConnected:
                return
            self.stats.messages_sent += 1
            self.stats.events_sent += len(batch)

    async def _resend_timer(self) -> None:
        while True:
            await asyncio.sleep(min(1.0, self.settings.ack_timeout_s / 2))
            if not self.client.connected:
                continue
            expired = self.outbox.requeue_expired(self._ack_timeout)
            if expired:
                self.stats.events_resent += expired
                self._ack_timeout = min(self._ack_timeout * 2, self.settings.ack_timeout_max_s)
                log.info(
                    "%s: %d events unacknowledged; resending, next timeout %.0fs",
                    self.unit,
                    expired,
                    self._ack_timeout,
                )
            self._pump()

    def _on_message(self, msg: Received) -> None:
        try:
            ref = topics.parse(msg.topic)
        except ProtocolError:
            self.stats.bad_downlink += 1
            return
        if ref.channel is Channel.ACK:
            try:
                ack = decode(Ack, msg.payload)
            except ProtocolError as exc:
                self.stats.bad_downlink += 1
                log.warning("%s: ignoring a malformed ack: %s", self.unit, exc)
                return
            self.stats.events_acked += self.outbox.acknowledge(ack.ids)
            self._ack_timeout = self.settings.ack_timeout_s
            if self.outbox.depth == 0:
                self.drained.set()
            self._pump()
        elif ref.channel is Channel.CONFIG and self._on_config is not None:
            self._on_config(msg.payload)
        elif ref.channel is Channel.CMD and self._on_command is not None:
            self._on_command(msg.payload)
