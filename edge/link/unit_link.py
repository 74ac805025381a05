"""The unit's link to the hub: sends the event log's events in batches over MQTT and lets the
log forget them only when the hub's `ack` names them.

- which events go next, the bounded in-flight window, resends after the (doubling) timeout and
  after every reconnect: the send window's rules (edge.link.send_window); this module moves
  the bytes;
- the link wakes when the log commits an append (it subscribes), one pump per loop turn;
- acks are committed to the log off the loop, all that arrived meanwhile in one commit;
- presence: ``state`` online (retained) on connect, offline as the MQTT last will.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from edge.eventlog import EventLog
from edge.link.credentials import BrokerCredentials
from edge.link.send_window import SendWindow
from mqttio import (
    AsyncMqttClient,
    Backoff,
    BrokerUrl,
    ClientTls,
    NotConnected,
    Received,
    Will,
)
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
    # The highest QoS the link publishes and subscribes with. 1 on Mosquitto and EMQX. 0 on a
    # NATS cluster, whose MQTT gateway stores every QoS 1 message in JetStream before its
    # PUBACK and backs every QoS 1 subscription with a JetStream consumer: while a killed
    # node's streams elect new leaders, QoS 1 publishes time out and the gateway drops the
    # client. The link needs none of it: an event is kept until the hub's ack names it, and
    # the hub acks, republishes configs and resends notices on its own (docs/cluster.md).
    max_qos: int = 1

    def __post_init__(self) -> None:
        if self.max_qos not in (0, 1):
            raise ValueError("max_qos is 0 or 1 (QoS 2 is never used)")


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
        event_log: EventLog,
        url: BrokerUrl | Sequence[BrokerUrl],
        settings: LinkSettings | None = None,
        *,
        on_config: DownlinkHandler | None = None,
        on_command: DownlinkHandler | None = None,
        tls: ClientTls | None = None,
        credentials: BrokerCredentials | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.unit = unit
        # the password across a live rotation (edge.link.credentials); None: the URL's own
        self.credentials = credentials
        self.event_log = event_log
        self.settings = s = settings or LinkSettings()
        self.window = SendWindow(
            batch_max_events=s.batch_max_events,
            batch_max_bytes=s.batch_max_bytes,
            max_in_flight=s.max_in_flight_events,
            ack_timeout_s=s.ack_timeout_s,
            ack_timeout_max_s=s.ack_timeout_max_s,
            clock=clock,
        )
        self.stats = LinkStats()
        self._on_config = on_config
        self._on_command = on_command
        self._tx_topic = topics.topic(unit, Channel.TX)
        self._state_topic = topics.topic(unit, Channel.STATE)
        self._pump_scheduled = False
        self._acked: set[str] = set()  # named by the hub, not yet committed to the log
        self._ack_writer: asyncio.Task[None] | None = None
        # set while the log is empty: everything committed has been acknowledged
        self.drained = asyncio.Event()
        if event_log.depth == 0:
            self.drained.set()
        self._unsubscribe = event_log.subscribe(self._on_append)
        self.client = AsyncMqttClient(
            url,
            client_id=topics.unit_client_id(unit),
            on_message=self._on_message,
            subscriptions=[
                (topics.topic(unit, Channel.ACK), 1),
                (topics.topic(unit, Channel.CONFIG), 1),
                (topics.topic(unit, Channel.CMD), 1),
            ],
            on_connect=self._on_connect,
            will=Will(self._state_topic, encode(State(online=False)), qos=1, retain=True),
            max_qos=s.max_qos,
            keepalive=s.keepalive_s,
            backoff=s.backoff,
            tls=tls,
            password=credentials.password_for_attempt if credentials is not None else None,
        )

    async def run(self) -> None:
        timer = asyncio.create_task(self._resend_timer())
        try:
            await self.client.run()
        finally:
            timer.cancel()

    async def stop(self) -> None:
        """Orderly shutdown: say offline ourselves (a clean DISCONNECT skips the last will),
        and commit the acks already received, so their events are not sent again."""
        self._unsubscribe()
        if self.client.connected:
            self.publish(self._state_topic, encode(State(online=False, ts=utc_now())), retain=True)
        await self.client.stop()
        if self._ack_writer is not None:
            await self._ack_writer

    def publish(self, topic: str, payload: bytes, qos: int = 1, retain: bool = False) -> bool:
        """Publish a message that is not an event (health, reports); False when offline."""
        try:
            self.client.publish(topic, payload, qos=qos, retain=retain)
        except NotConnected:
            return False
        return True

    def reconnect(self) -> None:
        """Connect again now (the `reconnect` and `rotate_credentials` commands)."""
        self.client.reconnect()

    def reconcile_config(self) -> bool:
        """Ask the broker for the retained configuration again; the applier re-reports it."""
        return self.client.subscribe_again(topics.topic(self.unit, Channel.CONFIG))

    # -- internals --------------------------------------------------------------------------

    def _on_append(self) -> None:
        """The log committed new events: send them soon (one pump per loop turn)."""
        self.drained.clear()
        if not self._pump_scheduled:
            self._pump_scheduled = True
            asyncio.get_running_loop().call_soon(self._pump)

    def _on_connect(self) -> None:
        if self.credentials is not None:
            self.credentials.connected()
        self.publish(self._state_topic, encode(State(online=True, ts=utc_now())), retain=True)
        self.stats.events_resent += self.window.requeue_all()
        self._pump()

    def _pump(self) -> None:
        self._pump_scheduled = False
        while self.client.connected:
            batch = self.window.next_batch(self.event_log)
            if not batch:
                return
            try:
                self.client.publish(self._tx_topic, frame_tx_batch(e.payload for e in batch))
            except NotConnected:
                return  # in flight already: the reconnect sends them again
            self.stats.messages_sent += 1
            self.stats.events_sent += len(batch)

    async def _resend_timer(self) -> None:
        while True:
            await asyncio.sleep(min(1.0, self.settings.ack_timeout_s / 2))
            if not self.client.connected:
                continue
            expired = self.window.expire()
            if expired:
                self.stats.events_resent += expired
                log.info(
                    "%s: %d events unacknowledged; resending, next timeout %.0fs",
                    self.unit,
                    expired,
                    self.window.timeout,
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
            ids = [str(i) for i in ack.ids]
            self.window.acknowledging(ids)  # their room is free while the log forgets them
            self._acked.update(ids)
            if self._ack_writer is None or self._ack_writer.done():
                self._ack_writer = asyncio.create_task(self._commit_acks())
            self._pump()
        elif ref.channel is Channel.CONFIG and self._on_config is not None:
            self._on_config(msg.payload)
        elif ref.channel is Channel.CMD and self._on_command is not None:
            self._on_command(msg.payload)

    async def _commit_acks(self) -> None:
        # Acks that arrive during a commit wait for the next one: a backlog drains with one
        # fsync per commit, not one per ack message.
        while self._acked:
            ids, self._acked = self._acked, set()
            try:
                self.stats.events_acked += await self.event_log.acknowledge(ids)
            except Exception:
                # The events stay in the log: send them again, and the hub acknowledges them
                # again (it stores each event once).
                log.exception("%s: could not commit an ack", self.unit)
                self.window.ack_failed(ids)
                self._pump()
                continue
            self.window.acknowledged(ids)
            if self.event_log.depth == 0:
                self.drained.set()
