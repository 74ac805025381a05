"""A lean MQTT 5 receiver for the hub's ingest subscription, and nothing else.

paho parses each packet in several Python calls and acknowledges each QoS 1 message the moment
it arrives; on the live stream that was most of an ingest process's CPU. This receiver reads
with asyncio's transport (one recv of up to 256 KiB, over TLS too), cuts every whole packet out
of it in one pass (mqttio/frames.py), and acknowledges only when told to: the consumer calls
acknowledge() once a batch is committed, and all of that batch's PUBACKs go out in one write.

So the broker holds each message until the hub's database does. The session outlives a dropped
connection for ``session_expiry_s``: a reconnect within it gets every unacknowledged message
again (flagged DUP; the events table's key makes the second copy a duplicate). A message never
acknowledged because the process died is in a session nobody resumes (client ids are new per
process): the broker drops it when the session expires, and the unit sends it again because
the hub never acked it. The expiry is short because Mosquitto keeps dealing an offline session
its turn of a shared subscription until then. Everything else the hub publishes (configs,
notices, commands) goes through the paho client (mqttio/client.py); this one publishes only
QoS 0 acks to units.

A broker that speaks only MQTT 3.1.1 (the embedded broker of `make demo`; a NATS server's MQTT
gateway) is spoken to in 3.1.1 from then on: no session is kept (3.1.1 sessions never expire)
and each message is PUBACKed on receipt, as paho does, since 3.1.1 has no Receive Maximum to
lift the broker's in-flight window; the units' outboxes and the hub's acks after the commit
still guarantee delivery, as they always have.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
import time
from collections import deque
from collections.abc import Callable, Sequence

from mqttio import frames
from mqttio.backoff import Backoff, Rotation
from mqttio.errors import ConnectRefused, NotConnected
from mqttio.models import Received
from mqttio.tls import ClientTls
from mqttio.url import BrokerUrl

log = logging.getLogger("bianmin.mqtt")
_SUBSCRIBE_ID = 1
# How long a first MQTT 5 CONNECT waits for its CONNACK before the receiver takes the broker for
# a 3.1.1 one: the embedded broker (amqtt) does not answer an MQTT 5 CONNECT at all.
V5_PROBE_S = 3.0
# CONNACK codes that refuse the protocol version: 3.1.1's "unacceptable protocol version",
# MQTT 5's "unsupported protocol version"
_VERSION_REFUSED = (0x01, 0x84)


class _Link(asyncio.Protocol):
    """One TCP (or TLS) connection: bytes in, packets out to the receiver."""

    def __init__(self, owner: LeanSubscriber, reader: frames.Reader) -> None:
        self.owner = owner
        self.reader = reader
        self.transport: asyncio.Transport | None = None
        self.rest = b""
        self.closed = asyncio.get_running_loop().create_future()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        if self.rest:
            data = self.rest + data
        messages: list[Received] = []
        control: list[tuple[int, bytes]] = []
        try:
            used = self.reader.feed(data, messages, control)
        except frames.MalformedPacket as exc:
            self.owner._fail(self, f"malformed packet from the broker: {exc}")
            return
        self.rest = data[used:] if used < len(data) else b""
        self.owner._last_read = time.monotonic()
        for kind, body in control:
            self.owner._control(self, kind, body)
        if messages:
            if self.owner.version != 5 and self.transport is not None:
                ids = [m.token & 0xFFFF for m in messages if m.qos]
                if ids:  # 3.1.1: PUBACK on receipt (see the module's docstring)
                    self.transport.write(frames.pubacks(ids))
            self.owner._deliver(self, messages)

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.closed.done():
            self.closed.set_result(None)
        self.owner._lost_link(self, exc)


class LeanSubscriber:
    """Subscribes, delivers each message to ``on_message`` as a Received with a token, and
    acknowledges the tokens it is given. Reconnects with ``backoff`` through ``urls``."""

    def __init__(
        self,
        url: BrokerUrl | Sequence[BrokerUrl],
        *,
        client_id: str,
        on_message: Callable[[Received], None],
        subscriptions: Sequence[tuple[str, int]],
        tls: ClientTls | None = None,
        keepalive: int = 30,
        backoff: Backoff | None = None,
        connect_timeout: float = 10.0,
        receive_maximum: int = 65535,
        session_expiry_s: int = 10,
        max_packet: int = 16 * 1024 * 1024,
    ) -> None:
        self.urls: tuple[BrokerUrl, ...] = (url,) if isinstance(url, BrokerUrl) else tuple(url)
        if not self.urls:
            raise ValueError(f"{client_id}: no broker URL given")
        self.client_id = client_id
        self._on_message = on_message
        self._subscriptions = list(subscriptions)
        self._keepalive = keepalive
        self._rotation = Rotation(client_id, self.urls, backoff or Backoff())
        self._connect_timeout = connect_timeout
        self._receive_maximum = receive_maximum
        self._session_expiry_s = session_expiry_s
        self._max_packet = max_packet
        self._tls_context: ssl.SSLContext | None = (
            (tls or ClientTls()).context() if any(u.tls for u in self.urls) else None
        )
        self._link: _Link | None = None
        self._generation = 0  # one per connection, in every token's high bits
        self._connack: asyncio.Future[bool] | None = None
        self._connected = asyncio.Event()
        self._subscribed = asyncio.Event()
        self._lost = asyncio.Event()
        self._wake = asyncio.Event()
        self._held: deque[Received] = deque()  # read while paused, not yet delivered
        self._paused = False
        self._stopping = False
        self._last_read = 0.0
        self._resumable = False  # the broker holds a session this client may resume
        self.version = 5  # 4 (3.1.1) once the broker turned MQTT 5 down
        self._v5_answered = False
        self.refused_subscriptions: list[str] = []
        self.connections = 0
        self.sessions_resumed = 0
        self.last_error: str | None = None

    # -- public API -------------------------------------------------------------------------

    @property
    def url(self) -> BrokerUrl:
        return self._rotation.url

    @property
    def connected(self) -> bool:
        return self._connected.is_set()

    async def wait_connected(self) -> None:
        await self._connected.wait()

    async def wait_subscribed(self) -> None:
        await self._subscribed.wait()

    def acknowledge(self, tokens: Sequence[int]) -> int:
        """PUBACK the messages of these tokens, in one write; tokens of an earlier connection
        are skipped (the broker sends those messages again). Returns how many went out."""
        link = self._link
        if link is None or link.transport is None or not self.connected or self.version != 5:
            return 0  # 3.1.1: acknowledged on receipt
        base = self._generation << 16
        ids = [t & 0xFFFF for t in tokens if t >> 16 == self._generation and t != base]
        if ids:
            link.transport.write(frames.pubacks(ids))
        return len(ids)

    def publish_many(self, items: Sequence[tuple[str, bytes]]) -> None:
        """Publish at QoS 0, in one write."""
        link = self._link
        if link is None or link.transport is None or not self.connected:
            raise NotConnected(f"{self.client_id}: not connected to {self.url}")
        v = self.version
        link.transport.write(b"".join([frames.publish_qos0(t, p, v) for t, p in items]))

    def pause_reading(self) -> None:
        """Deliver nothing more and stop reading: TCP back-pressure holds the rest."""
        if not self._paused:
            self._paused = True
            link = self._link
            if link is not None and link.transport is not None:
                link.transport.pause_reading()

    def resume_reading(self) -> None:
        if self._paused:
            self._paused = False
            link = self._link
            if link is not None and link.transport is not None:
                link.transport.resume_reading()
                if self._held:
                    asyncio.get_running_loop().call_soon(self._deliver, link, [])

    async def run(self) -> None:
        """Connect, subscribe, and reconnect with jittered backoff until stop()."""
        pinger = asyncio.create_task(self._keep_alive())
        try:
            while not self._stopping:
                try:
                    await self._connect_once()
                    self._rotation.connected()
                    await self._lost.wait()
                    failed = False
                except (OSError, ConnectRefused, TimeoutError, frames.MalformedPacket) as exc:
                    self.last_error = f"{type(exc).__name__}: {exc}".rstrip(": ")
                    self._drop()
                    failed = True
                if self._stopping:
                    break
                delay = self._rotation.next_delay(failed, self.last_error)
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), delay)
        finally:
            pinger.cancel()
            self._drop()

    async def stop(self) -> None:
        """DISCONNECT, ending the session: what was not acknowledged the broker drops now,
        and the units whose events those were send them again."""
        self._stopping = True
        self._wake.set()
        link, connected = self._link, self.connected
        self._link = None  # its closing is no loss to report
        self._drop()
        if link is not None and link.transport is not None:
            if connected:
                link.transport.write(frames.disconnect(end_session=True, version=self.version))
            link.transport.close()  # after the buffered bytes are written
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(link.closed), 2)
        self._lost.set()

    def kill(self) -> None:
        """Drop the TCP connection without DISCONNECT, as a crash would."""
        self._stopping = True
        self._wake.set()
        self._drop()
        self._lost.set()

    def drop_connection(self) -> None:
        """Drop this connection without DISCONNECT and connect again (tests: a cut link)."""
        self._drop()
        self._lost.set()

    # -- connection -------------------------------------------------------------------------

    async def _connect_once(self) -> None:
        loop = asyncio.get_running_loop()
        self._lost.clear()
        self._generation = self._generation % 0xFFFF + 1
        v5 = self.version == 5
        reader = frames.Reader(self._max_packet, self._generation << 16, properties=v5)
        url = self.url
        self._connack = loop.create_future()
        _, link = await asyncio.wait_for(
            loop.create_connection(
                lambda: _Link(self, reader), url.host, url.port,
                ssl=self._tls_context if url.tls else None,
                server_hostname=url.host if url.tls else None,
            ),
            self._connect_timeout,
        )  # fmt: skip
        self._link = link
        assert link.transport is not None
        if self._paused:
            link.transport.pause_reading()
        self._last_read = time.monotonic()
        link.transport.write(
            frames.connect(
                self.client_id, username=url.username, password=url.password,
                keepalive=self._keepalive, clean_start=not (v5 and self._resumable),
                session_expiry_s=self._session_expiry_s,
                receive_maximum=self._receive_maximum, maximum_packet_size=self._max_packet,
                version=self.version,
            )
        )  # fmt: skip
        paused = self._paused
        if paused:  # the CONNACK must be read even while messages wait
            link.transport.resume_reading()
        probing = v5 and not self._v5_answered
        wait = min(self._connect_timeout, V5_PROBE_S) if probing else self._connect_timeout
        try:
            present = await asyncio.wait_for(asyncio.shield(self._connack), wait)
        except (TimeoutError, ConnectRefused) as exc:
            refused = isinstance(exc, ConnectRefused) and exc.reason in _VERSION_REFUSED
            if probing and (refused or isinstance(exc, TimeoutError)):
                log.info("%s: %s does not speak MQTT 5; using 3.1.1", self.client_id, url)
                self.version = 4
            raise
        finally:
            if paused and self._paused and link.transport is not None:
                link.transport.pause_reading()
        self._v5_answered = v5
        self._resumable = v5 and self._session_expiry_s > 0
        self.sessions_resumed += present
        link.transport.write(frames.subscribe(_SUBSCRIBE_ID, self._subscriptions, self.version))
        self.connections += 1
        self.last_error = None
        self._connected.set()

    def _drop(self) -> None:
        link, self._link = self._link, None
        self._connected.clear()
        self._subscribed.clear()
        self._held.clear()  # unacknowledged: the broker or the unit sends them again
        if link is not None and link.transport is not None:
            link.transport.abort()

    def _fail(self, link: _Link, why: str) -> None:
        if link is not self._link:
            return
        log.error("%s: %s; dropping the connection", self.client_id, why)
        self.last_error = why
        connack = self._connack
        if connack is not None and not connack.done():
            connack.set_exception(ConnectRefused(why))
        self._drop()
        self._lost.set()

    def _lost_link(self, link: _Link, exc: Exception | None) -> None:
        if link is not self._link:
            return
        self.last_error = f"connection lost: {exc}" if exc else "connection closed by the broker"
        self._fail(link, self.last_error)

    async def _keep_alive(self) -> None:
        while True:
            await asyncio.sleep(self._keepalive / 2)
            link = self._link
            if link is None or link.transport is None or not self.connected:
                continue
            silent = time.monotonic() - self._last_read
            if not self._paused and silent > self._keepalive * 1.5:
                self._fail(link, f"no word from the broker for {silent:.0f} s")
                continue
            link.transport.write(frames.PINGREQ_FRAME)

    # -- packets ----------------------------------------------------------------------------

    def _control(self, link: _Link, kind: int, body: bytes) -> None:
        if link is not self._link:
            return
        try:
            if kind == frames.CONNACK:
                present, reason = frames.connack(body)
                connack = self._connack
                if connack is None or connack.done():
                    raise frames.MalformedPacket("a second CONNACK")
                if reason >= 0x80 or (self.version == 4 and reason):
                    self._resumable = False
                    refusal = ConnectRefused(f"broker refused: reason {reason:#x}")
                    refusal.reason = reason
                    connack.set_exception(refusal)
                else:
                    connack.set_result(present)
            elif kind == frames.SUBACK:
                _, reasons = frames.suback(body, self.version)
                refused = [
                    f for (f, _), r in zip(self._subscriptions, reasons, strict=False) if r >= 0x80
                ]
                if refused:
                    log.error("%s: broker refused subscriptions %s", self.client_id, refused)
                self.refused_subscriptions = refused
                self._subscribed.set()
            elif kind == frames.DISCONNECT:
                reason = body[0] if body else 0
                self._fail(link, f"the broker disconnected us (reason {reason:#x})")
            # PINGRESP and PUBACK (nothing is published at QoS 1 here) need no answer
        except frames.MalformedPacket as exc:
            self._fail(link, f"malformed packet from the broker: {exc}")

    def _deliver(self, link: _Link, messages: list[Received]) -> None:
        if link is not self._link:
            return
        held = self._held
        if held:
            held.extend(messages)
            messages = []
            while held and not self._paused:
                self._hand_over(held.popleft())
            return
        on_message = self._on_message
        for i, msg in enumerate(messages):
            if self._paused:
                held.extend(messages[i:])
                return
            try:
                on_message(msg)
            except Exception:  # one bad handler must not kill the connection
                log.exception("%s: message handler failed for %s", self.client_id, msg.topic)

    def _hand_over(self, msg: Received) -> None:
        try:
            self._on_message(msg)
        except Exception:
            log.exception("%s: message handler failed for %s", self.client_id, msg.topic)
