"""Errors of the MQTT client, with stable codes."""

from __future__ import annotations


class NotConnected(RuntimeError):
    """Raised by publish() while the client has no live connection."""

    code = "not_connected"


class ConnectRefused(RuntimeError):
    """The broker answered CONNECT with a failure (bad credentials, not authorised...)."""

    code = "connect_refused"
    reason: int | None = None  # the CONNACK's code, when the lean receiver saw one


class InvalidBrokerUrl(ValueError):
    """A broker URL that cannot be used; the message never repeats a password."""

    code = "invalid_url"
