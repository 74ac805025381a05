"""An in-process MQTT broker (amqtt) for machines without Mosquitto: the demo still runs, with
the same per-unit passwords, client ids and topic rules (provisioning/access.py). amqtt speaks
MQTT 3.1.1 only and has no shared subscriptions, so a hub on it must subscribe plainly (one hub
process).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from protocol.topics import HUB_USER
from provisioning.access import Action, may, may_connect
from provisioning.credentials import Credentials

PLUGIN_MODULE = __name__


def _plugins() -> tuple[type, type]:
    # amqtt is a dev-extra dependency: import it only when an embedded broker is wanted.
    from amqtt.contexts import Action as AmqttAction
    from amqtt.plugins.base import BaseAuthPlugin, BaseTopicPlugin

    actions = {
        AmqttAction.PUBLISH: Action.PUBLISH,
        AmqttAction.SUBSCRIBE: Action.SUBSCRIBE,
        AmqttAction.RECEIVE: Action.RECEIVE,
    }

    class PasswordAuth(BaseAuthPlugin):  # type: ignore[misc]
        @dataclass
        class Config:
            users: dict[str, str] = field(default_factory=dict)

        async def authenticate(self, *, session: Any) -> bool | None:
            # The gate in _broker_class has refused anything else already; asked again
            # because amqtt accepts no connection without an auth plugin's yes.
            return may_connect(
                self.config.users, session.username, session.password, session.client_id
            )

    class UnitTopics(BaseTopicPlugin):  # type: ignore[misc]
        @dataclass
        class Config:
            enabled: bool = True

        async def topic_filtering(
            self, *, session: Any = None, topic: str | None = None, action: Any = None
        ) -> bool | None:
            username = session.username if session else None
            return action in actions and may(username, topic, actions[action])

    return PasswordAuth, UnitTopics


def _broker_class() -> type:
    from amqtt.adapters import ReaderAdapter
    from amqtt.broker import Broker
    from amqtt.errors import MQTTError
    from amqtt.mqtt.connack import NOT_AUTHORIZED, ConnackPacket
    from amqtt.mqtt.connect import ConnectPacket

    class Recording(ReaderAdapter):  # type: ignore[misc]
        """Keeps every byte read, so the CONNECT can be handed on exactly as it came."""

        def __init__(self, inner: Any) -> None:
            self.inner, self.seen = inner, bytearray()

        async def read(self, n: int = -1) -> bytes:
            data: bytes = await self.inner.read(n)
            self.seen += data
            return data

        def feed_eof(self) -> None:
            self.inner.feed_eof()

    class Replaying(ReaderAdapter):  # type: ignore[misc]
        def __init__(self, head: bytes, inner: Any) -> None:
            self.head, self.inner = head, inner

        async def read(self, n: int = -1) -> bytes:
            if not self.head:
                data: bytes = await self.inner.read(n)
                return data
            if n < 0:
                rest: bytes = await self.inner.read(n)
                head, self.head = self.head, b""
                return head + rest
            chunk, self.head = self.head[:n], self.head[n:]
            if len(chunk) < n:  # amqtt reads exact sizes
                more: bytes = await self.inner.read(n - len(chunk))
                chunk += more
            return chunk

        def feed_eof(self) -> None:
            self.inner.feed_eof()

    class GatedBroker(Broker):  # type: ignore[misc]
        """amqtt drops the session of a clean CONNECT's client id, and takes over the
        connection holding it, before any auth plugin is asked: a unit claiming another's
        id would knock it off, wrong password or not. So the CONNECT is checked first, and
        amqtt only ever sees one that passed."""

        def __init__(self, config: dict[str, Any], passwords: dict[str, str]) -> None:
            super().__init__(config)
            self._passwords = passwords

        async def _initialize_client_session(
            self, reader: Any, writer: Any, remote_address: str, remote_port: int
        ) -> Any:
            recording = Recording(reader)
            connect = await ConnectPacket.from_stream(recording)
            if not may_connect(
                self._passwords, connect.username, connect.password, connect.client_id
            ):
                await ConnackPacket.build(0, NOT_AUTHORIZED).to_stream(writer)
                await writer.close()
                raise MQTTError(f"refused client id {connect.client_id!r} of {connect.username!r}")
            replay = Replaying(bytes(recording.seen), reader)
            return await super()._initialize_client_session(
                replay, writer, remote_address, remote_port
            )

    return GatedBroker


class EmbeddedBroker:
    def __init__(self, port: int, credentials: Credentials, host: str = "127.0.0.1") -> None:
        self.host = host
        self.port = port
        self.credentials = credentials
        self._broker: Any = None

    @property
    def url(self) -> str:
        return f"mqtt://{self.host}:{self.port}"

    async def start(self) -> None:
        auth, acl = _plugins()
        # amqtt loads plugins by dotted path; expose the classes built above under this module.
        globals()["PasswordAuth"], globals()["UnitTopics"] = auth, acl
        users = {HUB_USER: self.credentials.hub_password, **self.credentials.units}
        config = {
            "listeners": {"default": {"type": "tcp", "bind": f"{self.host}:{self.port}"}},
            "plugins": {
                f"{PLUGIN_MODULE}.PasswordAuth": {"users": users},
                f"{PLUGIN_MODULE}.UnitTopics": {"enabled": True},
            },
        }
        self._broker = _broker_class()(config, users)
        await self._broker.start()

    async def stop(self) -> None:
        if self._broker is not None:
            await self._broker.shutdown()
            self._broker = None
