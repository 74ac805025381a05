"""MQTT topic names: the only place in the project where topic strings are spelled.

Every topic is ``bianmin/v1/u/{unit}/{channel}``. Up channels are written by the unit,
down channels by the hub; broker ACLs are generated from the same table.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from enum import StrEnum

from protocol.errors import InvalidTopic

ROOT = "bianmin/v1/u"
# Only the hub's user may join this group (the broker refuses units any $share filter).
SHARE_GROUP = "hub"
# The hub's broker username: the ACLs provisioning writes grant it the whole root, and the hub
# connects with it. Unit ids may never take it (check_unit_id).
HUB_USER = "hub"
UNIT_ID_MAX = 64
UNIT_ID_PATTERN = rf"[a-z0-9][a-z0-9_-]{{0,{UNIT_ID_MAX - 1}}}"
UNIT_CLIENT_PREFIX = "unit-"
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
# The longest topic any message travels on (ASCII, so characters are bytes): what the broker's
# packet limit adds to the largest payload.
MAX_TOPIC_BYTES = len(ROOT) + 1 + UNIT_ID_MAX + 1 + max(len(c.value) for c in Channel)


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


def unit_client_id(unit: str) -> str:
    """The only MQTT client id a unit may connect with: the broker binds it to the unit's
    username, so no one else can use it to push the unit off (a takeover) and the unit can use
    no other. The prefix keeps a unit named like a hub process (``hub-1``) off the hub's ids."""
    return UNIT_CLIENT_PREFIX + check_unit_id(unit)


def hub_client_id(instance: str, role: str) -> str:
    """A new client id for one connection-owning part of a hub process (``role``: ingest, ...).

    Random per call: hub processes share the hub's username and often the instance name (two
    `hub ingest` with the defaults), and a repeated id would make them take each other over.
    """
    return f"{instance}-{role}-{secrets.token_hex(4)}"


def nats_subject(topic_or_filter: str) -> str:
    """The NATS subject a NATS server's MQTT gateway gives a topic or filter: ``/`` → ``.``,
    ``+`` → ``*``, ``#`` → ``>``. Our topics hold no dots and no empty levels, the two cases it
    would spell otherwise."""
    return ".".join(
        "*" if part == "+" else ">" if part == "#" else part for part in topic_or_filter.split("/")
    )


def topic_of_subject(subject: str) -> str:
    """The MQTT topic a concrete NATS subject carries (``nats_subject`` reversed); a subject
    that is not one of ours then fails ``parse`` like any foreign topic."""
    return subject.replace(".", "/")
