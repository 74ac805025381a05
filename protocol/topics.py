"""MQTT topic names: the only place in the project where topic strings are spelled.

Every topic is ``bianmin/v1/u/{unit}/{channel}``. Up channels are written by the unit,
down channels by the hub; broker ACLs are generated from the same table.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from protocol.errors import InvalidTopic

ROOT = "bianmin/v1/u"
SHARE_GROUP = "hub"
# The hub's broker username: the ACLs provisioning writes grant it the whole root, and the hub
# connects with it. Unit ids may never take it (check_unit_id).
HUB_USER = "hub"
UNIT_ID_PATTERN = r"[a-z0-9][a-z0-9_-]{0,63}"
_UNIT_ID = re.compile(rf"^{UNIT_ID_PATTERN}$")


class Channel(StrEnum):
    TX = "tx"
    ACK = "ack"
    STATE = "state"
    HEALTH = "health"
    CONFIG = "config"
    CONFIG_REPORTED = "config/reported"
    CMD = "cmd"
    CMD_RESULT = "cmd/result"

    @property
    def upstream(self) -> bool:
        """True when the unit publishes on this channel and the hub reads it."""
        return self in _UP


_UP = frozenset(
    {Channel.TX, Channel.STATE, Channel.HEALTH, Channel.CONFIG_REPORTED, Channel.CMD_RESULT}
)
UP_CHANNELS: tuple[Channel, ...] = tuple(c for c in Channel if c.upstream)
DOWN_CHANNELS: tuple[Channel, ...] = tuple(c for c in Channel if not c.upstream)


@dataclass(frozen=True, slots=True)
class TopicRef:
    unit: str
    channel: Channel


def check_unit_id(unit: str) -> str:
    """Return ``unit`` if it can name a unit (and so a topic level), else raise InvalidTopic."""
    if not _UNIT_ID.match(unit):
        raise InvalidTopic(
            f"invalid unit id {unit!r}: use 1-64 of a-z 0-9 _ -, starting with a letter or digit"
        )
    if unit == HUB_USER:
        raise InvalidTopic(f"invalid unit id {unit!r}: it is the hub's broker username")
    return unit


def topic(unit: str, channel: Channel) -> str:
    return f"{ROOT}/{check_unit_id(unit)}/{channel.value}"


def parse(name: str) -> TopicRef:
    """Split a concrete topic into its unit and channel; raise InvalidTopic otherwise."""
    prefix = ROOT + "/"
    if not name.startswith(prefix):
        raise InvalidTopic(f"topic {name!r} is outside {ROOT}/")
    unit, sep, rest = name[len(prefix) :].partition("/")
    if not sep:
        raise InvalidTopic(f"topic {name!r} has no channel")
    try:
        channel = Channel(rest)
    except ValueError:
        raise InvalidTopic(f"topic {name!r} has unknown channel {rest!r}") from None
    return TopicRef(check_unit_id(unit), channel)


def subscription(channel: Channel, unit: str = "+") -> str:
    """A topic filter for one channel of one unit, or of every unit (``+``)."""
    if unit != "+":
        check_unit_id(unit)
    return f"{ROOT}/{unit}/{channel.value}"


def shared(topic_filter: str, group: str = SHARE_GROUP) -> str:
    """Wrap a filter as an MQTT 5 / Mosquitto shared subscription so processes split the load."""
    return f"$share/{group}/{topic_filter}"


def acl_pattern(channel: Channel) -> str:
    """A Mosquitto ACL pattern for one channel; ``%u`` is replaced by the username (= unit id)."""
    return f"{ROOT}/%u/{channel.value}"
