"""An in-process MQTT broker (amqtt) for machines without Mosquitto: the demo still runs, with
the same per-unit passwords and topic rules. amqtt speaks MQTT 3.1.1 only and has no shared
subscriptions, so a hub on it must subscribe plainly (one hub process).
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass, field
from typing import Any

from protocol import topics
from protocol.errors import InvalidTopic
from protocol.topics import HUB_USER
from provisioning.credentials import Credentials

PLUGIN_MODULE = __name__


def _allowed(username: str | None, topic: str | None, publish: bool) -> bool:
    """The Mosquitto ACL rules, restated: the hub reads and writes everything under the root;
    a unit writes its own up channels and reads its own down channels."""
    if not username or not topic:
        return False
    if username == HUB_USER:
        return topic.startswith(topics.ROOT + "/") or topic.startswith("$share/")
    try:
        ref = topics.parse(topic)
    except InvalidTopic:
        return False
    return ref.unit == username and ref.channel.upstream == publish


def _plugins() -> tuple[type, type]:
    # amqtt is a dev-extra dependency: import it only when an embedded broker is wanted.
    from amqtt.contexts import Action
    from amqtt.plugins.base import BaseAuthPlugin, BaseTopicPlugin

    class PasswordAuth(BaseAuthPlugin):  # type: ignore[misc]
        @dataclass
        class Config:
            users: dict[str, str] = field(default_factory=dict)

        async def authenticate(self, *, session: Any) -> bool | None:
            expected = self.config.users.get(session.username or "")
            given = session.password or ""
            return expected is not None and hmac.compare_digest(expected, given)

    class UnitTopics(BaseTopicPlugin):  # type: ignore[misc]
        @dataclass
        class Config:
            enabled: bool = True

        async def topic_filtering(
            self, *, session: Any = None, topic: str | None = None, action: Any = None
        ) -> bool | None:
            username = session.username if session else None
            return _allowed(username, topic, publish=action == Action.PUBLISH)

    return PasswordAuth, UnitTopics


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
        from amqtt.broker import Broker

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
        self._broker = Broker(config)
        await self._broker.start()

    async def stop(self) -> None:
        if self._broker is not None:
            await self._broker.shutdown()
            self._broker = None
