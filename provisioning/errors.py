"""Errors of provisioning that reach an operator, each with a stable code."""

from __future__ import annotations


class BrokerError(RuntimeError):
    """The broker could not be started, configured or changed; the message says why."""

    code = "broker_error"
