"""An asyncio MQTT client built on paho's external-loop API.

Each connection uses a fresh paho client: the unit's durable outbox (and the hub's acks) are
the real session, so nothing hidden in paho's memory is resent or lost behind our back.

A client may be given several brokers (the nodes of one cluster): after a lost connection or
a failed attempt it tries the next one, so a dead node costs one reconnect, not an outage. The
backoff grows once per round through the list, not per broker.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
import threading
from collections.abc import Callable, Sequence
from typing import Any

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion, MQTTErrorCode

from mqttio.backoff import Backoff, Rotation
from mqttio.buffered import BufferedPaho
from mqttio.errors import ConnectRefused, NotConnected
from mqttio.models import Publication, Received, Will
from mqttio.tls import ClientTls
from mqttio.url import BrokerUrl

log = logging.getLogger("bianmin.mqtt")


MessageHandler = Callable[[Received], None]
Hook = Callable[[], None]


class AsyncMqttClient:
    def __init__(
        self,
        url: BrokerUrl | Sequence[BrokerUrl],
        *,
        client_id: str,
        on_message: MessageHandler,
        subscriptions: Sequence[tuple[str, int]] = (),
        on_connect: Hook | None = None,
        on_disconnect: Hook | None = None,
        will: Will | None = None,
        keepalive: int = 30,
        max_inflight: int = 100,
        backoff: Backoff | None = None,
        connect_timeout: float = 10.0,
        tls: ClientTls | None = None,
        max_qos: int = 1,
        password: Callable[[], str | None] | None = None,
    ) -> None:
        self.urls: tuple[BrokerUrl, ...] = (url,) if isinstance(url, BrokerUrl) else tuple(url)
        if not self.urls:
            raise ValueError(f"{client_id}: no broker URL given")
        # asked before every attempt when given (a unit's password across a live rotation)
        self._password = password
        self.client_id = client_id
        self._on_message = on_message
        # Every publish, subscription and the will at most at this QoS (0 on a NATS cluster's
        # MQTT gateway, where QoS 1 goes through JetStream: docs/cluster.md).
        self.max_qos = max_qos
        self._subscriptions = [(f, min(q, max_qos)) for f, q in subscriptions]
        self._on_connect_hook = on_connect
        self._on_disconnect_hook = on_disconnect
        self._will = will
        self._keepalive = keepalive
        self._max_inflight = max_inflight
        self._rotation = Rotation(client_id, self.urls, backoff or Backoff())
        self._connect_timeout = connect_timeout
        # Built once, not per connection: a thousand simulated units reconnect at once.
        self._tls_context: ssl.SSLContext | None = (
            (tls or ClientTls()).context() if any(u.tls for u in self.urls) else None
        )

        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread = 0
        self._paho: BufferedPaho | None = None
        self._fd: int | None = None  # file descriptor registered with the loop
        self._connected = asyncio.Event()
        self._subscribed = asyncio.Event()
        self._subscribe_mid: int | None = None
        self.refused_subscriptions: list[str] = []
        self._lost: asyncio.Event = asyncio.Event()
        self._connack: asyncio.Future[None] | None = None
        self._stopping = False
        self._reading_paused = False
        self._wake = asyncio.Event()
        self.connections = 0
        self.last_error: str | None = None

    # -- public API -------------------------------------------------------------------------

    @property
    def url(self) -> BrokerUrl:
        """The broker this client is connected to, or tries next."""
        return self._rotation.url

    @property
    def connected(self) -> bool:
        return self._connected.is_set()

    async def wait_connected(self) -> None:
        await self._connected.wait()

    async def wait_subscribed(self) -> None:
        """Return once the broker has answered this connection's SUBSCRIBE (SUBACK)."""
        await self._subscribed.wait()

    def publish(
        self, topic: str, payload: bytes, qos: int = 1, retain: bool = False
    ) -> Publication:
        client = self._paho
        if client is None or not self.connected:
            raise NotConnected(f"{self.client_id}: not connected to {self.url}")
        info = client.publish(topic, payload, qos=min(qos, self.max_qos), retain=retain)
        if info.rc == MQTTErrorCode.MQTT_ERR_NO_CONN:
            raise NotConnected(f"{self.client_id}: connection lost while publishing")
        if info.rc != MQTTErrorCode.MQTT_ERR_SUCCESS:
            raise NotConnected(f"{self.client_id}: publish failed: {paho.error_string(info.rc)}")
        return Publication(info.mid)

    def reconnect(self) -> None:
        """Drop this connection and connect again at once (a remote `reconnect` command): the
        broker sends the last will, and the reconnect says online again."""
        if self._paho is not None and not self._stopping:
            self._drop_connection()
            self._lost.set()

    def subscribe_again(self, topic: str, qos: int = 1) -> bool:
        """SUBSCRIBE to ``topic`` again: the broker sends its retained message anew (a remote
        `reconcile` command). False when not connected."""
        client = self._paho
        if client is None or not self.connected:
            return False
        rc, _ = client.subscribe(topic, min(qos, self.max_qos))
        return bool(rc == MQTTErrorCode.MQTT_ERR_SUCCESS)

    def pause_reading(self) -> None:
        """Stop reading the socket: the broker then buffers for us (TCP back-pressure)."""
        if not self._reading_paused:
            self._reading_paused = True
            if self._fd is not None and self._loop is not None:
                self._loop.remove_reader(self._fd)

    def resume_reading(self) -> None:
        if self._reading_paused:
            self._reading_paused = False
            if self._fd is not None and self._loop is not None and self._paho is not None:
                self._loop.add_reader(self._fd, self._read)
                # Bytes read before the pause wait in the buffer, and the socket does not
                # signal them again: without this they sit there until the next packet.
                if self._paho.buffered():
                    self._loop.call_soon(self._read)

    async def run(self) -> None:
        """Connect, and reconnect with jittered backoff, until stop() is called."""
        self._loop = asyncio.get_running_loop()
        self._loop_thread = threading.get_ident()
        misc = asyncio.create_task(self._misc_loop())
        try:
            while not self._stopping:
                try:
                    await self._connect_once()
                    self._rotation.connected()
                    await self._lost.wait()
                except (OSError, ConnectRefused, TimeoutError) as exc:
                    self.last_error = f"{type(exc).__name__}: {exc}".rstrip(": ")
                    self._drop_connection()
                    failed = True
                else:
                    failed = False
                if self._stopping:
                    break
                delay = self._rotation.next_delay(failed, self.last_error)
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), delay)
        finally:
            misc.cancel()
            self._drop_connection()

    async def stop(self) -> None:
        """Disconnect cleanly: the broker discards the last will, as for an orderly shutdown."""
        self._stopping = True
        self._wake.set()
        client = self._paho
        if client is not None and self.connected:
            client.disconnect()
            # Let the DISCONNECT packet go out before the socket closes.
            for _ in range(20):
                if self._paho is None or not client.want_write():
                    break
                await asyncio.sleep(0.01)
        self._lost.set()

    def kill(self) -> None:
        """Drop the TCP connection without DISCONNECT, as a crash or a cut cable would."""
        self._stopping = True
        self._wake.set()
        self._drop_connection()
        self._lost.set()

    # -- connection management --------------------------------------------------------------

    def _new_paho(self) -> BufferedPaho:
        client = BufferedPaho(
            CallbackAPIVersion.VERSION2,
            client_id=self.client_id,
            clean_session=True,
            protocol=paho.MQTTv311,
        )
        if self.url.username:
            password = self._password() if self._password is not None else self.url.password
            client.username_pw_set(self.url.username, password)
        if self.url.tls and self._tls_context is not None:
            client.tls_set_context(self._tls_context)
        if self._will is not None:
            w = self._will
            client.will_set(w.topic, w.payload, qos=min(w.qos, self.max_qos), retain=w.retain)
        client.max_inflight_messages_set(self._max_inflight)
        client.suppress_exceptions = True
        client.on_connect = self._paho_on_connect
        client.on_disconnect = self._paho_on_disconnect
        client.on_message = self._paho_on_message
        client.on_subscribe = self._paho_on_subscribe
        client.on_socket_open = self._paho_socket_open
        client.on_socket_close = self._paho_socket_close
        client.on_socket_register_write = self._paho_register_write
        client.on_socket_unregister_write = self._paho_unregister_write
        return client

    async def _connect_once(self) -> None:
        assert self._loop is not None
        self._lost.clear()
        self._connack = self._loop.create_future()
        client = self._new_paho()
        self._paho = client
        # paho's connect() does a blocking TCP connect; keep it off the event loop.
        await self._loop.run_in_executor(
            None, client.connect, self.url.host, self.url.port, self._keepalive
        )
        await asyncio.wait_for(asyncio.shield(self._connack), self._connect_timeout)

    def _drop_connection(self) -> None:
        client, self._paho = self._paho, None
        was_connected = self._connected.is_set()
        self._connected.clear()
        self._subscribed.clear()
        if self._fd is not None and self._loop is not None:
            self._loop.remove_reader(self._fd)
            self._loop.remove_writer(self._fd)
        self._fd = None
        if client is not None:
            client.on_socket_close = None
            client.on_disconnect = None
            with contextlib.suppress(Exception):  # best effort on a dying socket
                client.close_socket()
        if was_connected:
            self._call_hook(self._on_disconnect_hook)

    async def _misc_loop(self) -> None:
        while True:
            await asyncio.sleep(1.0)
            client = self._paho
            if client is not None and self._fd is not None:
                client.loop_misc()  # keepalive pings; detects a silent broker

    # -- paho callbacks (always on the event loop thread, or forwarded to it) ---------------

    def _read(self) -> None:
        client = self._paho
        if client is None:
            return
        # Parse everything already buffered (bounded, to stay fair to other clients on the
        # loop); the socket only signals again when new bytes arrive.
        for _ in range(2000):
            if client.loop_read() != MQTTErrorCode.MQTT_ERR_SUCCESS:
                return
            if client is not self._paho or self._reading_paused or not client.buffered():
                return
        if client is self._paho and client.buffered() and self._loop is not None:
            self._loop.call_soon(self._read)

    def _write(self) -> None:
        client = self._paho
        if client is not None:
            client.loop_write()

    def _paho_socket_open(self, client: paho.Client, userdata: Any, sock: Any) -> None:
        assert self._loop is not None

        fd = sock.fileno()

        def attach() -> None:
            if client is not self._paho:
                return
            self._fd = fd
            if not self._reading_paused:
                self._loop.add_reader(fd, self._read)  # type: ignore[union-attr]

        self._soon(attach)

    def _paho_socket_close(self, client: paho.Client, userdata: Any, sock: Any) -> None:
        assert self._loop is not None

        fd = sock.fileno()  # still open here; paho closes it after this callback

        def detach() -> None:
            if self._loop is not None:
                self._loop.remove_reader(fd)
                self._loop.remove_writer(fd)
            if self._fd == fd:
                self._fd = None

        self._soon(detach)

    def _paho_register_write(self, client: paho.Client, userdata: Any, sock: Any) -> None:
        assert self._loop is not None

        fd = sock.fileno()

        def attach() -> None:
            if client is self._paho and self._loop is not None and fd >= 0:
                self._loop.add_writer(fd, self._write)

        self._soon(attach)

    def _paho_unregister_write(self, client: paho.Client, userdata: Any, sock: Any) -> None:
        assert self._loop is not None
        fd = sock.fileno()
        if fd >= 0:
            self._soon(self._loop.remove_writer, fd)

    def _soon(self, fn: Callable[..., object], *args: Any) -> None:
        """Run fn on the loop: now if we are on its thread, else hand it over safely (paho's
        blocking connect runs in an executor thread and fires socket callbacks there)."""
        assert self._loop is not None
        if threading.get_ident() == self._loop_thread:
            fn(*args)
        else:
            self._loop.call_soon_threadsafe(fn, *args)

    def _paho_on_connect(
        self, client: paho.Client, userdata: Any, flags: Any, reason: Any, props: Any
    ) -> None:
        connack = self._connack
        if reason.is_failure:
            if connack is not None and not connack.done():
                connack.set_exception(ConnectRefused(f"broker refused: {reason}"))
            return
        if self._subscriptions:
            _, self._subscribe_mid = client.subscribe(self._subscriptions)
        else:
            self._subscribed.set()
        self.connections += 1
        self.last_error = None
        self._connected.set()
        if connack is not None and not connack.done():
            connack.set_result(None)
        self._call_hook(self._on_connect_hook)

    def _paho_on_disconnect(
        self, client: paho.Client, userdata: Any, flags: Any, reason: Any, props: Any
    ) -> None:
        if client is not self._paho:
            return
        self.last_error = f"disconnected: {reason}"
        self._drop_connection()
        connack = self._connack
        if connack is not None and not connack.done():
            connack.set_exception(ConnectRefused(f"connection closed before CONNACK: {reason}"))
        self._lost.set()

    def _paho_on_subscribe(
        self, client: paho.Client, userdata: Any, mid: int, reasons: Any, props: Any
    ) -> None:
        if client is not self._paho or mid != self._subscribe_mid:
            return
        refused = [
            f for (f, _), r in zip(self._subscriptions, reasons, strict=False) if r.is_failure
        ]
        if refused:
            # e.g. an ACL that does not allow the filter: say so instead of waiting forever
            log.error("%s: broker refused subscriptions %s", self.client_id, refused)
        self.refused_subscriptions = refused
        self._subscribed.set()

    def _paho_on_message(self, client: paho.Client, userdata: Any, msg: paho.MQTTMessage) -> None:
        try:
            payload = msg.payload if isinstance(msg.payload, bytes) else bytes(msg.payload)
            self._on_message(Received(msg.topic, payload, msg.qos, msg.retain))
        except Exception:  # one bad handler must not kill the connection
            log.exception("%s: message handler failed for %s", self.client_id, msg.topic)

    def _call_hook(self, hook: Hook | None) -> None:
        if hook is None:
            return
        try:
            hook()
        except Exception:
            log.exception("%s: connection hook failed", self.client_id)
