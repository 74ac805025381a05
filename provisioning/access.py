"""The broker's rules as plain functions, for the embedded broker. Mosquitto gets the same rules
as its dynamic-security config (provisioning/dynsec.py); one set of tests holds both to them.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from enum import StrEnum

from protocol import topics
from protocol.errors import InvalidTopic
from protocol.topics import HUB_USER, ROOT

ROOT_PREFIX = f"{ROOT}/"
HUB_SHARE_PREFIX = topics.shared(ROOT_PREFIX)


class Action(StrEnum):
    PUBLISH = "publish"
    SUBSCRIBE = "subscribe"  # checked against the filter as sent, $share/<group>/ included
    RECEIVE = "receive"  # one delivery, checked against the concrete topic


def may_connect(
    passwords: Mapping[str, str], username: str | None, password: str | None, client_id: str | None
) -> bool:
    """A known user with its password; a unit only under the client id derived from its
    username (protocol.topics.unit_client_id), so it can take over no one else's connection."""
    if not username or password is None or username not in passwords:
        return False
    # compared as bytes: compare_digest refuses non-ASCII str, and anyone may send those
    if not hmac.compare_digest(passwords[username].encode(), password.encode()):
        return False
    return username == HUB_USER or client_id == topics.unit_client_id(username)


def may(username: str | None, topic: str | None, action: Action) -> bool:
    """The hub: everything under the root, and its own share group. A unit: publish to its own
    up channels, subscribe to and receive its own down channels, each by its exact name."""
    if not username or not topic:
        return False
    if username == HUB_USER:
        if action is Action.SUBSCRIBE and topic.startswith(HUB_SHARE_PREFIX):
            return True
        return topic.startswith(ROOT_PREFIX)
    try:
        ref = topics.parse(topic)  # wildcards and $share/... never parse
    except InvalidTopic:
        return False
    return ref.unit == username and ref.channel.upstream == (action is Action.PUBLISH)
